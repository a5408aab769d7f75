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

/** Builds statements on the core schema's tables (`core.…`). */
export const coreStatements = builder;

/**
 * `env` for one Kysely handle: each environment's handle (withSchema, a new Kysely instance) is made on first use and
 * kept, so asking for it per query costs a map lookup. The schema name comes only from the Environment type.
 */
export function environmentHandles(base: Kysely<CoreTables>): (environment: Environment) => EnvDb {
  const handles = new Map<Environment, EnvDb>();
  return (environment) => {
    let handle = handles.get(environment);
    if (handle === undefined) {
      handle = base.withSchema(environment) as unknown as EnvDb;
      handles.set(environment, handle);
    }
    return handle;
  };
}

/** Builds statements on `environment`'s tables (its schema), like `Database.env` does for queries that run now. */
export const statementsFor = environmentHandles(builder);
