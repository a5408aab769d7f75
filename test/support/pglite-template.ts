// The migrated PGlite template that every embedded test database is cloned from, cached in test/.cache.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { openPglite, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { initdbParams, pgliteTemplateSettings } from '../../src/db/pglite-template.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cacheDir = path.join(root, 'test/.cache');

// Kept small and quick to start (src/db/pglite-template.ts says how); the server's own template is made the same way.

/** The template is keyed by the migrations' contents (and its settings), so changing a migration rebuilds it. */
function templatePath(): string {
  const hash = createHash('sha256');
  hash.update([...initdbParams, ...pgliteTemplateSettings].join('\n'));
  const dir = path.join(root, 'src/db/migrations');
  for (const file of fs.readdirSync(dir).sort()) hash.update(file).update(fs.readFileSync(path.join(dir, file)));
  // What decides the schema: the migrations and the catalogues migrate() reads for its CHECK constraints.
  for (const file of ['src/db/pglite-template.ts', 'src/db/migrate.ts', 'src/db/catalogue-checks.ts', 'src/lib/currencies.ts', 'src/lib/environments.ts']) hash.update(fs.readFileSync(path.join(root, file)));
  return path.join(cacheDir, `pglite-template-${hash.digest('hex').slice(0, 16)}.tar`);
}

export async function loadTemplate(): Promise<Blob> {
  const file = templatePath();
  if (!fs.existsSync(file)) await buildOnce(file);
  return new Blob([fs.readFileSync(file)]);
}

/**
 * On a clean checkout the first test files all find no template: one of them builds it (initdb and every migration,
 * several CPU-seconds) while the others wait for it, instead of each building its own on the same two cores. The
 * builder holds `<template>.lock` (its pid inside); a lock whose process has died is taken over.
 */
async function buildOnce(file: string): Promise<void> {
  fs.mkdirSync(cacheDir, { recursive: true });
  const lock = `${file}.lock`;
  while (!fs.existsSync(file)) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (lockHolderIsGone(lock)) fs.rmSync(lock, { force: true });
      else await sleep(200);
      continue;
    }
    try {
      if (!fs.existsSync(file)) await build(file);
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
}

function lockHolderIsGone(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(lock, 'utf8'));
  } catch {
    return false; // removed meanwhile: the loop looks again
  }
  if (!Number.isInteger(pid) || pid <= 0) return false; // being written
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function build(file: string): Promise<void> {
  const initdb = await PGlite.create({ initDbStartParams: initdbParams });
  const fresh = await initdb.dumpDataDir('none');
  await initdb.close();
  const db = await openPglite({ loadDataDir: fresh as Blob });
  await migrate(db);
  for (const statement of pgliteTemplateSettings) await db.pool.query(statement);
  const dump = await dumpOf(db);
  await db.close();
  // Write then rename: test files running in parallel never read a half-written template.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
  fs.renameSync(tmp, file);
  // Templates of earlier migrations are never read again.
  for (const old of fs.readdirSync(cacheDir)) {
    if (/^pglite-template-[0-9a-f]{16}\.tar$/.test(old) && path.join(cacheDir, old) !== file) fs.rmSync(path.join(cacheDir, old), { force: true });
  }
}

async function dumpOf(db: Database): Promise<Blob> {
  if (!db.dumpDataDir) throw new Error('only PGlite databases can be dumped');
  return db.dumpDataDir();
}

/**
 * Puts the migrated template where a server process started with PIK_DATA_DIR=dataDir keeps its database (src/main.ts:
 * <dataDir>/pgdata), so that it starts without initdb and migrations — for tests whose subject is not the first start.
 */
export async function seedPikDataDir(dataDir: string): Promise<void> {
  const db = await openPglite({ dataDir: path.join(dataDir, 'pgdata'), loadDataDir: await loadTemplate() });
  await db.close();
}
