// The `pik` CLI against a listening server: every command with --json prints only JSON; errors go to stderr with exit 1;
// listen and events with a platform's API key (their details against a fake events API in cli-listen.test.ts).
// pik-test: engine-independent — the CLI's commands, output and exit codes against a server; the writes it makes are tested on PostgreSQL in their own files
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext } from './support/context.ts';
import { pikCliArgs, startPik } from './support/cli.ts';
import { verifyDelivery } from './support/fake-events-api.ts';
import { approveAccount } from './support/ledger.ts';
import { startReceiver } from './support/webhook-receiver.ts';

let ctx: TestContext;
let baseUrl: string;

before(async () => {
  // Loopback endpoints allowed in sandbox, and a quick worker: events redelivered by the CLI reach a receiver here.
  ctx = await startTestApp({ webhooks: { ...loadConfig({}).webhooks, allowSandboxLoopback: true, pollMs: 50 } });
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

    // platforms limits: without --set it shows them, with --set it changes them
    const shown = await pik(['platforms', 'limits', '--platform', platform.id]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /general\s+\d+/);
    const raised = JSON.parse((await pik(['platforms', 'limits', '--platform', platform.id, '--set', 'general=1234', '--json'])).stdout);
    assert.equal(raised.limits.general, 1234);
    const after = JSON.parse((await pik(['platforms', 'limits', '--platform', platform.id, '--json'])).stdout);
    assert.deepEqual(after, raised);
    const unknown = await pik(['platforms', 'limits', '--platform', 'acct_nope']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /PLATFORM_NOT_FOUND/);
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

describe('pik listen and pik events, with an API key', () => {
  it('a transfer made through the API reaches the local receiver; events list shows it; redeliver sends it to a registered endpoint', async (t) => {
    const platform = await createTestPlatform(ctx);
    const key = platform.keys.sandbox;
    const account = await createTestConnectedAccount(ctx, platform);
    await approveAccount(ctx, 'sandbox', account);
    const local = await startReceiver();
    const hooks = await startReceiver();
    t.after(() => Promise.all([local.close(), hooks.close()]));

    const env = { PIK_API_KEY: key };
    const listen = startPik(['listen', '--forward-to', local.url, '--events', 'transfer.completed', '--interval-ms', '30'], { ...process.env, PIK_URL: baseUrl, ...env });
    t.after(() => listen.child.kill('SIGKILL'));
    const secret = /Signing secret: (whsec_\S+)/.exec(await listen.waitFor(/Ready\. Signing secret: whsec_\S+/))?.[1] ?? '';
    const transfer = await ctx.call('POST', '/api/v1/transfers', { key, body: { destination_account_id: account, currency: 'AUD', amount: '5.00' } });
    assert.equal(transfer.status, 201, transfer.raw);
    const [delivery] = await local.waitFor(1);
    verifyDelivery(secret, delivery!);
    const event = JSON.parse(delivery!.body);
    assert.equal(event.type, 'transfer.completed');
    assert.equal(event.data.id, transfer.body.id);
    assert.equal(delivery!.headers['webhook-id'], event.event_id);
    await listen.waitFor(new RegExp(`transfer\\.completed  ${event.event_id}  → 200\\n`));
    listen.child.kill('SIGINT');
    assert.equal(await listen.exited, 0, listen.stderr());
    assert.equal(local.received.length, 1, 'account.created and the other types were not forwarded');
    assert.ok(!listen.stdout().includes(key) && !listen.stderr().includes(key));

    const listed = await pik(['events', 'list', '--type', 'transfer.completed'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`transfer\\.completed\\s+${event.event_id}\\s+${platform.id}`));
    const unknown = await pik(['events', 'list', '--type', 'transfer.complete'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /UNKNOWN_EVENT_TYPE/);

    // The endpoint is registered after the event: only a redelivery brings the event there, signed with its secret.
    const endpoint = await ctx.call('POST', '/api/v1/webhooks', { key, body: { url: hooks.url, events: ['transfer.completed'] } });
    assert.equal(endpoint.status, 201, endpoint.raw);
    const redelivered = await pik(['events', 'redeliver', event.event_id, '--endpoint', endpoint.body.id], env);
    assert.equal(redelivered.code, 0, redelivered.stderr);
    const deliveryId = new RegExp(`^(wd_\\S+)\\s+${endpoint.body.id}\\s+pending$`, 'm').exec(redelivered.stdout)?.[1];
    assert.ok(deliveryId, redelivered.stdout);
    const [pushed] = await hooks.waitFor(1);
    verifyDelivery(endpoint.body.secret, pushed!);
    assert.equal(pushed!.headers['webhook-id'], deliveryId);
    assert.equal(JSON.parse(pushed!.body).event_id, event.event_id);
  });
});
