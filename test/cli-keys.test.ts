// The CLI's key controls against a listening server: keys create --permissions/--expires-in/--allowed-ip, keys roll,
// keys update, audit list.
// pik-test: engine-independent — the CLI's commands and output against a server; the writes are tested on PostgreSQL in key-controls and audit-log
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestPlatform, startTestApp, type TestContext } from './support/context.ts';
import { startPik } from './support/cli.ts';

let ctx: TestContext;
let baseUrl: string;

before(async () => {
  ctx = await startTestApp();
  baseUrl = await ctx.app.listen({ port: 0, host: '127.0.0.1' });
});
after(() => ctx.close());

async function pik(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startPik(args, { ...process.env, PIK_URL: baseUrl, PIK_OPERATOR_TOKEN: ctx.operatorToken });
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe('pik keys and audit', () => {
  it('keys create with --permissions, --expires-in and --allowed-ip; keys roll --expires-in 24h; keys update; audit list', async () => {
    const platform = await createTestPlatform(ctx);
    const before = Date.now();
    const created = await pik(['keys', 'create', '--platform', platform.id, '--environment', 'sandbox', '--permissions', 'payouts:write,balances:read', '--expires-in', '30d', '--allowed-ip', '127.0.0.1', '--allowed-ip', '2001:db8::/32', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const key = JSON.parse(created.stdout);
    assert.deepEqual(key.permissions, { balances: 'read', payouts: 'write' });
    assert.deepEqual(key.allowed_ips, ['127.0.0.1', '2001:db8::/32']);
    const days = (Date.parse(key.expires_at) - before) / 86_400_000;
    assert.ok(days > 29.99 && days < 30.01, `expires in ${days} days`);

    const listed = await pik(['keys', 'list', '--platform', platform.id]);
    assert.match(listed.stdout, /permissions balances:read,payouts:write; expires .*; 2 IPs/);

    const rolled = await pik(['keys', 'roll', key.id, '--expires-in', '24h']);
    assert.equal(rolled.code, 0, rolled.stderr);
    assert.match(rolled.stdout, /^Rolled key_\w+: its successor is key_\w+/);
    const secret = /\n {2}(pik_test_\w+)\n/.exec(rolled.stdout)?.[1];
    assert.ok(secret, 'the successor secret is printed once');
    assert.equal((await ctx.call('GET', '/api/v1/accounts/' + platform.id + '/wallet/balances', { key: secret })).status, 200);
    const keys = await ctx.admin('GET', `/admin/v1/platforms/${platform.id}/keys`);
    const old = keys.body.data.find((k: { id: string }) => k.id === key.id);
    const graceHours = (Date.parse(old.expires_at) - Date.now()) / 3_600_000;
    assert.ok(graceHours > 23.9 && graceHours <= 24, `the old key expires in ${graceHours} h`);

    const badRoll = await pik(['keys', 'roll', key.id, '--expires-in', 'soon']);
    assert.equal(badRoll.code, 1);
    assert.match(badRoll.stderr, /--expires-in takes a duration/);

    const successorId = old.rolled_to;
    const updated = await pik(['keys', 'update', successorId, '--any-ip', '--permissions', 'full', '--json']);
    assert.equal(updated.code, 0, updated.stderr);
    assert.deepEqual([JSON.parse(updated.stdout).allowed_ips, JSON.parse(updated.stdout).permissions], [null, 'full']);
    const badIp = await pik(['keys', 'update', successorId, '--allowed-ip', '10.1']);
    assert.equal(badIp.code, 1);
    assert.match(badIp.stderr, /allowed_ips\[0\]/);

    const audit = await pik(['audit', 'list', '--platform', platform.id]);
    assert.equal(audit.code, 0, audit.stderr);
    for (const action of ['platform.created', 'api_key.created', 'api_key.rolled', 'api_key.permissions_changed', 'api_key.allowlist_changed']) assert.match(audit.stdout, new RegExp(action.replace('.', '\\.')));
    const json = JSON.parse((await pik(['audit', 'list', '--platform', platform.id, '--action', 'api_key.rolled', '--json'])).stdout);
    assert.equal(json.data.length, 1);
    assert.deepEqual([json.data[0].actor.type, json.data[0].target.id], ['operator', key.id]);
  });
});
