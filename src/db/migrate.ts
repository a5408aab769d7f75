// Runs the migrations, in order, under Kysely's migration lock (safe when several processes start at once).
import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './database.ts';
import * as m0001 from './migrations/0001_core_and_accounts.ts';
import * as m0002 from './migrations/0002_onboarding.ts';
import * as m0003 from './migrations/0003_ledger.ts';
import * as m0004 from './migrations/0004_dashboard.ts';
import * as m0005 from './migrations/0005_request_log_segments.ts';

const migrations: Record<string, Migration> = {
  '0001_core_and_accounts': m0001,
  '0002_onboarding': m0002,
  '0003_ledger': m0003,
  '0004_dashboard': m0004,
  '0005_request_log_segments': m0005,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Runs every migration, or with `through` only up to and including that one (for tests of a migration's data step). */
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
}
