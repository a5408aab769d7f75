// Query builders that never execute: statements for UnitOfWork.write, built without touching a connection (and so
// without beginning the unit's transaction). The same schema types and the same per-environment schema as the handles
// in database.ts.
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import type { Environment } from '../lib/environments.ts';
import type { CoreTables, EnvDb } from './schema.ts';

const builder = new Kysely<CoreTables>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

const perEnvironment = new Map<Environment, EnvDb>();

/** Builds statements on `environment`'s tables (its schema), like `Database.env` does for queries that run now. */
export function statementsFor(environment: Environment): EnvDb {
  let handle = perEnvironment.get(environment);
  if (!handle) {
    // The schema name comes only from the Environment type, never from user input.
    handle = builder.withSchema(environment) as unknown as EnvDb;
    perEnvironment.set(environment, handle);
  }
  return handle;
}
