// The embedded database's template: a PGlite data directory initialised and migrated once — by the build
// (scripts/build.mjs, into dist/pglite-template/) and by the tests (test/support/pglite-template.ts, as a tarball) — so
// that a first start copies some files instead of running initdb (seconds of WebAssembly) and every migration.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { openPglite } from './database.ts';
import { migrate } from './migrate.ts';

/**
 * Kept small and quick to open; none of this changes what queries see. PGlite sets up its whole buffer pool at each
 * start, and the default 128MB cost about a quarter of a start for nothing (a sandbox's data fits in a few megabytes;
 * the operating system caches the files anyway). initdb runs with 1MB WAL segments instead of 16MB, and template0 and template1
 * go (PIK never creates databases; PGlite connects to `postgres`): the data directory is 12MB instead of 42MB.
 */
export const initdbParams = ['--wal-segsize=1'];
export const pgliteTemplateSettings = [
  "ALTER SYSTEM SET shared_buffers = '16MB'",
  // WAL kept between checkpoints: 2 segments instead of 80MB's worth, so the template carries 2MB of WAL, not 6MB.
  "ALTER SYSTEM SET min_wal_size = '2MB'",
  'ALTER DATABASE template0 IS_TEMPLATE false',
  'DROP DATABASE template0',
  'ALTER DATABASE template1 IS_TEMPLATE false',
  'DROP DATABASE template1',
  'SELECT pg_reload_conf()',
  'CHECKPOINT',
];

/** Builds the migrated template in `dir` (replacing what is there). */
export async function buildPgliteTemplate(dir: string): Promise<void> {
  const tmp = `${dir}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const initdb = await PGlite.create({ dataDir: tmp, initDbStartParams: initdbParams });
  await initdb.close();
  const db = await openPglite({ dataDir: tmp });
  await migrate(db);
  for (const statement of pgliteTemplateSettings) await db.pool.query(statement);
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}

/** The template the build put next to this module (dist/pglite-template), if there is one: none when run from src/. */
function builtTemplate(): string | undefined {
  const dir = new URL('./pglite-template/', import.meta.url);
  return fs.existsSync(new URL('PG_VERSION', dir)) ? fileURLToPath(dir) : undefined;
}

/**
 * Makes `pgdata` a copy of the built template when it holds no database yet, and says whether it did. The copy is made
 * beside it and renamed into place, so a start killed half-way leaves no half database behind.
 */
export function seedFromTemplate(pgdata: string): boolean {
  const template = builtTemplate();
  if (!template || fs.existsSync(path.join(pgdata, 'PG_VERSION'))) return false;
  if (fs.existsSync(pgdata) && fs.readdirSync(pgdata).length > 0) return false; // something else is there: PGlite decides
  const tmp = `${pgdata}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.cpSync(template, tmp, { recursive: true });
  fs.rmSync(pgdata, { recursive: true, force: true });
  fs.renameSync(tmp, pgdata);
  return true;
}
