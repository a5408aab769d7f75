// PGlite failing to open its data directory names the cause (issue 17, part 1): a directory PIK may not read or write,
// and a damaged one, each stop the start with a sentence saying so — not PGlite's "Aborted(). Build with
// -sASSERTIONS…". The full disk is in test/disk-full.test.ts (it cannot be made on demand).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { serverNodeArgs } from './support/node-args.ts';
import { seedPikDataDir } from './support/pglite-template.ts';
import { runServerToExit } from './support/server-process.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const isRoot = process.getuid?.() === 0;
// DATABASE_URL emptied: the subject is PGlite, whatever the runner's half sets.
const env = { PIK_OPERATOR_TOKEN: `pikop_test_${'s'.repeat(30)}`, LOG_LEVEL: 'warn', DATABASE_URL: '' };

/** Root reads everything: the refusal is only real for another user, so as root the server runs as `postgres`. */
function unprivilegedUser(): { uid: number; gid: number; name: string } | undefined {
  try {
    return { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()), name: 'postgres' };
  } catch {
    return undefined;
  }
}

function runAs(user: string | undefined, extraEnv: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const args = serverNodeArgs('src/main.ts');
  const [file, argv] = user ? ['runuser', ['-u', user, '--', 'env', ...Object.entries({ ...env, ...extraEnv, PORT: '0', HOME: os.tmpdir() }).map(([k, v]) => `${k}=${v}`), process.execPath, ...args]] : [process.execPath, args];
  return new Promise((resolve) => {
    const child = spawn(file, argv, { cwd: root, env: { ...process.env, ...env, ...extraEnv, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += String(c)));
    child.stderr.on('data', (c: Buffer) => (output += String(c)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('PGlite cannot open its data directory', () => {
  const dirs: string[] = [];
  const makeDir = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-start-'));
    dirs.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of dirs) {
      fs.chmodSync(dir, 0o700);
      if (fs.existsSync(path.join(dir, 'pgdata'))) fs.chmodSync(path.join(dir, 'pgdata'), 0o700);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a damaged directory: exit 1 with a sentence saying it is damaged, and what to do', async () => {
    const dir = makeDir();
    await seedPikDataDir(dir);
    fs.writeFileSync(path.join(dir, 'pgdata', 'global', 'pg_control'), 'not a control file');
    const { code, output } = await runServerToExit({ ...env, PIK_DATA_DIR: dir }, 120_000);
    assert.equal(code, 1, output);
    assert.match(output, new RegExp(`The embedded database in ${path.join(dir, 'pgdata')} could not start: the directory is damaged or is not a PIK database`));
    assert.match(output, /Restore it from a backup/);
    assert.doesNotMatch(output, /^PIK failed to start: Aborted/m);
  });

  it('a directory the server may not read: exit 1 naming the permission and the path', async (t) => {
    const user = isRoot ? unprivilegedUser() : undefined;
    if (isRoot && !user) return t.skip('running as root without a "postgres" user to run the server as');
    const dir = makeDir();
    await seedPikDataDir(dir);
    const pgdata = path.join(dir, 'pgdata');
    // The data directory itself is the server's (its lock, its keys); the database inside is not readable to it.
    if (user) {
      execFileSync('chown', [`${user.uid}:${user.gid}`, dir]);
      fs.chmodSync(dir, 0o755);
    }
    fs.chmodSync(pgdata, 0o000);
    const { code, output } = await runAs(user?.name, { PIK_DATA_DIR: dir });
    assert.equal(code, 1, output);
    assert.match(output, new RegExp(`The embedded database could not start: permission denied on ${pgdata}`));
    assert.match(output, /readable and writable by the user running PIK/);
  });
});
