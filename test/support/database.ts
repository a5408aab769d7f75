// Test databases: a PGlite clone of a migrated template (fast), or a fresh PostgreSQL database when DATABASE_URL is set
// (a copy of a migrated template database when scripts/run-tests.mjs names one, else migrated here).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPglite, openPostgres, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { loadTemplate } from './pglite-template.ts';

export const postgresUrl = process.env.DATABASE_URL || undefined;

/** Why a PostgreSQL-only test cannot run here, or false when it can. */
export const needsPostgres: string | false = postgresUrl ? false : 'needs PostgreSQL: DATABASE_URL is not set (npm test runs it in its PostgreSQL half when a server is reachable)';

/**
 * Set by scripts/run-tests.mjs for its PostgreSQL half: one id per run, so that every test file's database is a copy of
 * one migrated template (CREATE DATABASE … TEMPLATE) and the runner can drop whatever a killed test file left behind.
 */
const runId = process.env.PIK_TEST_RUN && /^[a-z0-9_]{1,40}$/.test(process.env.PIK_TEST_RUN) ? process.env.PIK_TEST_RUN : undefined;

export interface TestDatabase {
  db: Database;
  /** For PostgreSQL: the URL of this test's own database (to start server processes on it). */
  url: string | undefined;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (!postgresUrl) {
    const db = await openPglite({ loadDataDir: await loadTemplate() });
    return { db, url: undefined, drop: () => db.close() };
  }
  const name = runId ? `pik_test_${runId}_${randomBytes(4).toString('hex')}` : `pik_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  try {
    if (runId) {
      const template = `pik_template_${runId}`;
      await ensurePostgresTemplate(admin, template);
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    } else {
      await admin.query(`CREATE DATABASE ${name}`);
    }
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  const db = await openPostgres(url, 5);
  if (!runId) await migrate(db);
  return {
    db,
    url,
    drop: async () => {
      await db.close();
      const cleanup = new pg.Client({ connectionString: postgresUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

function databaseUrl(name: string): string {
  const url = new URL(postgresUrl as string);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The run's migrated template: built once, by whichever test file gets the advisory lock first; the others wait for it.
 * "Ready" is datistemplate, set only after the migrations succeeded, so a half-built one (its builder was killed) is rebuilt.
 */
async function ensurePostgresTemplate(admin: pg.Client, template: string): Promise<void> {
  const ready = async () => (await admin.query<{ datistemplate: boolean }>('SELECT datistemplate FROM pg_database WHERE datname = $1', [template])).rows[0];
  if ((await ready())?.datistemplate) return;
  await admin.query('SELECT pg_advisory_lock(hashtext($1))', [template]);
  try {
    const existing = await ready();
    if (existing?.datistemplate) return;
    if (existing) await admin.query(`DROP DATABASE ${template} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${template}`);
    const db = await openPostgres(databaseUrl(template), 2);
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    await admin.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE true`);
  } finally {
    await admin.query('SELECT pg_advisory_unlock(hashtext($1))', [template]);
  }
}
