// Test databases: a PGlite clone of a migrated template (fast), or a fresh PostgreSQL database when DATABASE_URL is set.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openPglite, openPostgres, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cacheDir = path.join(root, 'test/.cache');

export const postgresUrl = process.env.DATABASE_URL || undefined;

/** Why a PostgreSQL-only test cannot run here, or false when it can. */
export const needsPostgres: string | false = postgresUrl ? false : 'needs PostgreSQL: DATABASE_URL is not set (npm test runs it in its PostgreSQL half when a server is reachable)';

/** The template is keyed by the migrations' contents, so changing a migration rebuilds it. */
function templatePath(): string {
  const hash = createHash('sha256');
  const dir = path.join(root, 'src/db/migrations');
  for (const file of fs.readdirSync(dir).sort()) hash.update(file).update(fs.readFileSync(path.join(dir, file)));
  hash.update(fs.readFileSync(path.join(root, 'src/db/migrate.ts')));
  return path.join(cacheDir, `pglite-template-${hash.digest('hex').slice(0, 16)}.tar`);
}

async function loadTemplate(): Promise<Blob> {
  const file = templatePath();
  if (!fs.existsSync(file)) {
    const db = await openPglite();
    await migrate(db);
    const dump = await dumpOf(db);
    await db.close();
    fs.mkdirSync(cacheDir, { recursive: true });
    // Write then rename: test files running in parallel never read a half-written template.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(tmp, file);
  }
  return new Blob([fs.readFileSync(file)]);
}

async function dumpOf(db: Database): Promise<Blob> {
  if (!db.dumpDataDir) throw new Error('only PGlite databases can be dumped');
  return db.dumpDataDir();
}

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
  const name = `pik_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString(), 5);
  await migrate(db);
  return {
    db,
    url: url.toString(),
    drop: async () => {
      await db.close();
      const cleanup = new pg.Client({ connectionString: postgresUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
