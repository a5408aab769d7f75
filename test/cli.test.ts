// The `pik` CLI against a listening server: every command with --json prints only JSON; errors go to stderr with exit 1.
// pik-test: engine-independent — the CLI's commands, output and exit codes against a server; the writes it makes are tested on PostgreSQL in their own files
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestContext } from './support/context.ts';
import { pikCliArgs } from './support/cli.ts';

let ctx: TestContext;
let baseUrl: string;

before(async () => {
  ctx = await startTestApp();
  baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
});
after(() => ctx.close());

// Asynchronous on purpose: the server under test runs in this process, so a blocking spawn would starve it.
function pik(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, pikCliArgs(args), {
      env: { ...process.env, PIK_URL: baseUrl, PIK_OPERATOR_TOKEN: ctx.operatorToken, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += String(c)));
    child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('pik CLI', () => {
  it('platforms create → keys create → keys list → keys delete, all with --json', async () => {
    const created = await pik(['platforms', 'create', '--name', 'CLI Co', '--owner-email', 'cli@example.test', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const platform = JSON.parse(created.stdout);
    assert.match(platform.id, /^acct_/);
    assert.match(platform.set_password_url, /set-password\?token=/);

    const key = JSON.parse((await pik(['keys', 'create', '--platform', platform.id, '--environment', 'sandbox', '--name', 'ci', '--json'])).stdout);
    assert.match(key.id, /^key_/);
    assert.match(key.secret, /^pik_test_/);

    const list = JSON.parse((await pik(['keys', 'list', '--platform', platform.id, '--json'])).stdout);
    assert.equal(list.length, 1);
    assert.equal(list[0].secret, undefined);
    assert.equal(list[0].hint, key.hint);

    const platforms = JSON.parse((await pik(['platforms', 'list', '--json'])).stdout);
    assert.ok(platforms.some((p: { id: string }) => p.id === platform.id));

    const deleted = await pik(['keys', 'delete', key.id, '--json']);
    assert.equal(deleted.code, 0);
    assert.equal(JSON.parse(deleted.stdout).status, 'deleted');
  });

  it('human output shows the secret once, with what to do next', async () => {
    const created = JSON.parse((await pik(['platforms', 'create', '--name', 'Human', '--owner-email', 'human@example.test', '--owner-password', 'a long enough password', '--json'])).stdout);
    const out = await pik(['keys', 'create', '--platform', created.id, '--environment', 'production']);
    assert.equal(out.code, 0);
    assert.match(out.stdout, /pik_live_[0-9A-Za-z]{38}/);
    assert.match(out.stdout, /only time/);
  });

  it('errors go to stderr with a non-zero exit and the API error code', async () => {
    const missing = await pik(['keys', 'delete', 'key_01m8g4v2eddte8cb402zj8tcnj']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /API_KEY_NOT_FOUND/);
    const badEnv = await pik(['keys', 'create', '--platform', 'acct_x', '--environment', 'staging']);
    assert.equal(badEnv.code, 1);
    assert.match(badEnv.stderr, /sandbox or production/);
    const wrongToken = await pik(['platforms', 'list'], { PIK_OPERATOR_TOKEN: 'not-the-operator-token-at-all' });
    assert.equal(wrongToken.code, 1);
    assert.match(wrongToken.stderr, /OPERATOR_TOKEN_INVALID/);
  });

  it('finds the operator token in the data directory like the server, and explains when there is none', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-cli-'));
    try {
      const none = await pik(['platforms', 'list'], { PIK_OPERATOR_TOKEN: '', PIK_DATA_DIR: dir });
      assert.equal(none.code, 1);
      assert.match(none.stderr, /No operator token/);
      fs.writeFileSync(path.join(dir, 'operator-token'), `${ctx.operatorToken}\n`, { mode: 0o600 });
      assert.equal((await pik(['platforms', 'list', '--json'], { PIK_OPERATOR_TOKEN: '', PIK_DATA_DIR: dir })).code, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says clearly when the server is not running', async () => {
    const down = await pik(['platforms', 'list'], { PIK_URL: 'http://127.0.0.1:1' });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /Cannot reach the PIK server/);
  });
});
