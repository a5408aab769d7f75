// Runs the migrations found in src/db/migrations (NNNN_name.ts, in number order) under Kysely's migration lock
// (safe when several processes start at once), then the catalogue's CHECK constraints. A new migration is a new file
// there; nothing else lists them.
import fs from 'node:fs';
import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import { syncCatalogueChecks } from './catalogue-checks.ts';
import type { Database } from './database.ts';
import { loadModule } from '../lib/load-module.ts';

const migrationsDir = new URL('./migrations/', import.meta.url);
// From the sources (tsx, the tests) the migrations are NNNN_name.ts; in the compiled build (dist/, what `npm start` runs)
// scripts/build.mjs compiles each to dist/migrations/NNNN_name.js, next to the bundle that holds this module.
const sourceExtension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/**
 * The migration names (file names without .ts) in number order. Refuses a file that is not named NNNN_name.ts (it
 * would otherwise be skipped without a word), two files with one number (two branches that each added "the next"
 * migration: the later one takes the next free number when it merges) and a gap in the numbering (a file lost in a
 * merge or a rename).
 */
export function orderMigrations(fileNames: readonly string[], extension = '.ts'): string[] {
  const migrationFile = new RegExp(`^(\\d{4})_[a-z0-9_]+\\${extension}$`);
  const migrations = fileNames
    .filter((name) => name.endsWith(extension) && !name.startsWith('.'))
    .map((name) => {
      const match = migrationFile.exec(name);
      if (!match) throw new Error(`src/db/migrations/${name} is not named NNNN_name.ts (four digits, then lower-case letters, digits and _).`);
      return { number: Number(match[1]), name: name.slice(0, -extension.length) };
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
  return orderMigrations(fs.readdirSync(migrationsDir), sourceExtension);
}

const provider: MigrationProvider = {
  getMigrations: async () => {
    const migrations: Record<string, Migration> = {};
    for (const name of listMigrations()) migrations[name] = await loadModule<Migration>(new URL(`${name}${sourceExtension}`, migrationsDir).href);
    return migrations;
  },
};

/**
 * Whether the database has run exactly the migrations of the folder — what every start but the first after an upgrade
 * finds. Kysely's migrator answers that too, but reads the whole catalogue (every table and column of both environments)
 * several times to do it, and imports every migration: a CPU-second on PGlite, most of a reopen's time.
 */
async function upToDate(database: Database): Promise<boolean> {
  let recorded: Set<string>;
  try {
    const { rows } = await database.pool.query<{ name: string }>('select name from core.kysely_migration');
    recorded = new Set(rows.map((row) => row.name));
  } catch {
    return false; // no migration table yet: a new database
  }
  const wanted = listMigrations();
  return recorded.size === wanted.length && wanted.every((name) => recorded.has(name));
}

/**
 * Runs every migration, then brings the catalogue's CHECK constraints in line (catalogue-checks.ts). With `through`,
 * only the migrations up to and including that one, and no catalogue step (for tests of a migration's data step).
 */
export async function migrate(database: Database, options: { through?: string } = {}): Promise<void> {
  if (!options.through && (await upToDate(database))) {
    await syncCatalogueChecks(database);
    return;
  }
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
