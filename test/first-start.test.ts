// The first hour (issue 16): `npm start` as README.md has a newcomer run it — the compiled build in dist/, a fresh data
// directory seeded from the migrated template, the banner and its "Next:" hint, GET /, Ctrl+C or `kill` on the npm
// process stopping the server and freeing the data directory's lock, and a port already in use reported before
// anything slow.
// pik-test: engine-independent — it starts the server as `npm start` does, on its embedded database; nothing here depends on the engine.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-first-start-'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface Started {
  child: ChildProcess;
  base: string;
  output: () => string;
  exited: Promise<number | null>;
}

function collect(child: ChildProcess): { output: () => string; exited: Promise<number | null> } {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += String(chunk)));
  child.stderr?.on('data', (chunk: Buffer) => (output += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { output: () => output, exited };
}

/** `npm start` on the test's data directory, resolved once the banner says where it listens. */
async function npmStart(): Promise<Started> {
  const child = spawn(npm, ['start'], { cwd: root, env: { ...process.env, PORT: '0', PIK_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const { output, exited } = collect(child);
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no banner in 120 s:\n${output()}`)), 120_000);
    const look = (): void => {
      const match = /PIK is listening on (http:\/\/\S+)/.exec(output());
      if (match?.[1] && output().includes('Next:')) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', look);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`npm start exited before listening:\n${output()}`));
    });
  });
  return { child, base, output, exited };
}

const lockFile = path.join(dataDir, 'pik.lock');

before(async () => {
  // The build `npm install` made; made here if this checkout has none (the launcher rebuilds a stale one itself).
  if (!fs.existsSync(path.join(root, 'dist/main.js'))) {
    const { buildAll } = (await import(path.join(root, 'scripts/build.mjs'))) as { buildAll: () => Promise<number> };
    await buildAll();
  }
});
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('npm start, as a newcomer runs it', () => {
  it('a fresh data directory: answers, GET / leads on, the banner says to create a platform; kill on npm stops it and frees the lock', async () => {
    const server = await npmStart();
    assert.match(server.output(), /Next: +npm run pik -- platforms create/);
    assert.ok(fs.existsSync(path.join(dataDir, 'pgdata', 'PG_VERSION')));
    assert.ok(fs.existsSync(lockFile));

    assert.deepEqual(await (await fetch(`${server.base}/health`)).json(), { status: 'ok' });
    const map = await fetch(`${server.base}/`);
    assert.equal(map.status, 200);
    assert.deepEqual(await map.json(), { name: 'PIK', api: '/api/v1', reference: '/docs', openapi: '/api/v1/openapi.json', dashboard: '/dashboard', health: '/health' });
    const browser = await fetch(`${server.base}/`, { headers: { accept: 'text/html,application/xhtml+xml' }, redirect: 'manual' });
    assert.equal(browser.status, 303);
    assert.equal(browser.headers.get('location'), '/dashboard');

    // A platform, so that the next start's hint moves on.
    const token = fs.readFileSync(path.join(dataDir, 'operator-token'), 'utf8').trim();
    const created = await fetch(`${server.base}/admin/v1/platforms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'First Hour', owner_email: 'first-hour@example.test' }),
    });
    assert.equal(created.status, 201);
    // The compiled build's dashboard: its pages set cookies (a bundling mistake once made every Set-Cookie fail).
    const { set_password_url: setPasswordUrl } = (await created.json()) as { set_password_url: string };
    const setPassword = await fetch(setPasswordUrl.replace(/^http:\/\/[^/]+/, server.base));
    assert.equal(setPassword.status, 200, await setPassword.text());
    assert.ok(setPassword.headers.getSetCookie().length > 0, 'the page sets its cookie');
    assert.equal((await fetch(`${server.base}/dashboard/sign-in`)).status, 200);
    assert.equal((await fetch(`${server.base}/docs/`)).status, 200);

    server.child.kill('SIGTERM'); // to npm, as `kill <pid of npm start>` does
    assert.equal(await server.exited, 0, server.output());
    assert.ok(!fs.existsSync(lockFile), 'the lock is freed');
    await assert.rejects(fetch(`${server.base}/health`), 'nothing listens any more');
  });

  it('reopening it: the hint names the one platform and what to do with it; Ctrl+C (SIGINT to npm) stops it and frees the lock', async () => {
    const server = await npmStart();
    assert.match(server.output(), /Next: +one platform exists: npm run pik -- keys create --platform acct_[0-9a-z]{26} --environment sandbox/);
    assert.doesNotMatch(server.output(), /platforms create/);
    assert.equal((await fetch(`${server.base}/health`)).status, 200);
    // This start ran from the code cache the first one wrote: an import() from inside the bundle (the API reference's
    // renderer, loaded on first request) still works there (src/lib/load-module.ts).
    assert.ok(fs.existsSync(path.join(root, 'dist/app/main.cjs.v8-cache')), 'the first start left a code cache');
    const renderer = await fetch(`${server.base}/docs/js/scalar.js`);
    assert.equal(renderer.status, 200);
    assert.ok((await renderer.text()).length > 100_000);
    // ./pik, the CLI without npm in front, from another folder: it finds the data directory's operator token as npm run does.
    const listed = spawnSync(path.join(root, 'pik'), ['platforms', 'list'], { cwd: os.tmpdir(), env: { ...process.env, PIK_URL: server.base, PIK_DATA_DIR: dataDir, PIK_OPERATOR_TOKEN: '' }, encoding: 'utf8' });
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /First Hour/);
    server.child.kill('SIGINT');
    assert.equal(await server.exited, 0, server.output());
    assert.ok(!fs.existsSync(lockFile), 'the lock is freed');
  });

  it('a port already in use: a message naming PORT, before the database is even opened', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-port-in-use-'));
    try {
      const child = spawn(process.execPath, ['dist/main.js'], { cwd: root, env: { ...process.env, PORT: String(port), PIK_DATA_DIR: elsewhere, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
      const { output, exited } = collect(child);
      assert.equal(await exited, 1, output());
      assert.match(output(), new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use`));
      assert.match(output(), new RegExp(`PORT=${port + 1} npm start`));
      assert.doesNotMatch(output(), /at .*\.js:\d+/, 'no stack trace');
      assert.ok(!fs.existsSync(path.join(elsewhere, 'pgdata')), 'it stopped before opening the database');
    } finally {
      blocker.close();
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
