// Runs the migrations found in src/db/migrations (NNNN_name.ts, in number order) under Kysely's migration lock
// (safe when several processes start at once), then the catalogue's CHECK constraints. A new migration is a new file
// there; nothing else lists them.
import fs from 'node:fs';
import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import { syncCatalogueChecks } from './catalogue-checks.ts';
import type { Database } from './database.ts';

const migrationsDir = new URL('./migrations/', import.meta.url);
const migrationFile = /^(\d{4})_[a-z0-9_]+\.ts$/;

/**
 * The migration names (file names without .ts) in number order. Refuses a file that is not named NNNN_name.ts (it
 * would otherwise be skipped without a word), two files with one number (two branches that each added "the next"
 * migration: the later one takes the next free number when it merges) and a gap in the numbering (a file lost in a
 * merge or a rename).
 */
export function orderMigrations(fileNames: readonly string[]): string[] {
  const migrations = fileNames
    .filter((name) => name.endsWith('.ts') && !name.startsWith('.'))
    .map((name) => {
      const match = migrationFile.exec(name);
      if (!match) throw new Error(`src/db/migrations/${name} is not named NNNN_name.ts (four digits, then lower-case letters, digits and _).`);
      return { number: Number(match[1]), name: name.slice(0, -'.ts'.length) };
    })
    .sort((a, b) => a.number - b.number || (a.name < b.name ? -1 : 1));
  migrations.forEach((migration, index) => {
    const previous = migrations[index - 1];
    if (previous && previous.number === migration.number) {
      throw new Error(`Migrations ${previous.name} and ${migration.name} share a number; renumber the later one to the next free number.`);
    }
    const expected = String(index + 1).padStart(4, '0');
    if (migration.number !== index + 1) throw new Error(`Migration ${expected} is missing: the next one is ${migration.name}. Migrations are numbered 0001, 0002, … without gaps.`);
  });
  return migrations.map((m) => m.name);
}

/** The migrations in the folder, in order (what migrate() runs). */
export function listMigrations(): string[] {
  return orderMigrations(fs.readdirSync(migrationsDir));
}

const provider: MigrationProvider = {
  getMigrations: async () => {
    const migrations: Record<string, Migration> = {};
    for (const name of listMigrations()) migrations[name] = (await import(new URL(`${name}.ts`, migrationsDir).href)) as Migration;
    return migrations;
  },
};

/**
 * Runs every migration, then brings the catalogue's CHECK constraints in line (catalogue-checks.ts). With `through`,
 * only the migrations up to and including that one, and no catalogue step (for tests of a migration's data step).
 */
export async function migrate(database: Database, options: { through?: string } = {}): Promise<void> {
  const migrator = new Migrator({
    db: database.core,
    provider,
    migrationTableSchema: 'core',
    // Branches add numbered migrations in parallel (0002, 0003, …); a database that ran a later number first must still accept an earlier one.
    allowUnorderedMigrations: true,
  });
  const { error, results } = options.through ? await migrator.migrateTo(options.through) : await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`Migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!options.through) await syncCatalogueChecks(database);
}
