// Dashboard Settings › API Keys, the request log and the Accounts pages: one-time secrets, deletion, isolation.
// pik-test: engine-independent — the dashboard pages and forms for keys, the request log and accounts; key revocation across processes runs on PostgreSQL in processes.test.ts
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { createTestConnectedAccount, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { createDashboardPlatform, dashboardClient, testPassword, type DashboardClient } from './support/dashboard.ts';

let ctx: TestContext;

before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

async function signedIn(): Promise<{ platform: Awaited<ReturnType<typeof createDashboardPlatform>>; client: DashboardClient }> {
  const platform = await createDashboardPlatform(ctx);
  const client = dashboardClient(ctx);
  assert.equal((await client.signIn(platform.email, testPassword)).status, 303);
  return { platform, client };
}

/** Generates a key through the dashboard and returns its secret, read from the one-time panel. */
async function generate(client: DashboardClient, environment: 'sandbox' | 'production', name: string, password?: string) {
  const form = await client.get(`/dashboard/settings/api-keys/${environment}`);
  const formId = /name="form_id" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  const page = await client.post(`/dashboard/settings/api-keys/${environment}`, { name, form_id: formId, ...(password === undefined ? {} : { password }) });
  const secret = /id="new-key-secret"[^>]*value="([^"]+)"/.exec(page.body)?.[1];
  return { page, secret };
}

function asTestPlatform(id: string, key: string): TestPlatform {
  return { id, name: '', keys: { sandbox: key, production: '' }, keyIds: { sandbox: '', production: '' } };
}

describe('Settings › API Keys: generate', () => {
  it('shows the full sandbox secret exactly once, with a copy button and a warning; the list shows only the hint', async () => {
    const { platform, client } = await signedIn();
    const { page, secret } = await generate(client, 'sandbox', 'Checkout service');
    assert.equal(page.status, 201);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.ok(secret);
    assert.match(secret, /^pik_test_/);
    assert.match(page.body, /It will not be shown again/);
    assert.match(page.body, /data-copy-target="new-key-secret"/);
    const api = await ctx.call('GET', '/api/v1/account', { key: secret });
    assert.equal(api.status, 200);
    assert.equal(api.body.id, platform.id);

    const list = await client.get('/dashboard/settings/api-keys/sandbox');
    assert.equal(list.status, 200);
    assert.equal(list.body.includes(secret), false);
    assert.match(list.body, new RegExp(`${secret.slice(0, 9)}…${secret.slice(-4)}`));
    assert.match(list.body, /Checkout service/);
    assert.match(list.body, new RegExp(`by ${platform.email}`));
    assert.match(list.body, /Never used|UTC/);
    const rows = await ctx.services.db.core.selectFrom('core.api_keys').selectAll().where('platform_id', '=', platform.id).execute();
    assert.ok(rows.every((r) => !JSON.stringify(r).includes(secret)));
  });

  it('re-sending the same form (a reload of the page showing the secret) does not mint a second key', async () => {
    const { platform, client } = await signedIn();
    const form = await client.get('/dashboard/settings/api-keys/sandbox');
    const formId = /name="form_id" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
    const csrf = client.csrf();
    const first = await client.post('/dashboard/settings/api-keys/sandbox', { name: 'Once', form_id: formId }, { csrf });
    assert.equal(first.status, 201);
    const again = await client.post('/dashboard/settings/api-keys/sandbox', { name: 'Once', form_id: formId }, { csrf });
    assert.equal(again.status, 409);
    assert.match(again.body, /no second key was generated/);
    assert.doesNotMatch(again.body, /id="new-key-secret"/);
    const keys = await ctx.services.db.core.selectFrom('core.api_keys').select('id').where('platform_id', '=', platform.id).execute();
    assert.equal(keys.length, 1);
  });

  it('asks for a name', async () => {
    const { client } = await signedIn();
    const { page, secret } = await generate(client, 'sandbox', '   ');
    assert.equal(page.status, 400);
    assert.equal(secret, undefined);
    assert.match(page.body, /Give the key a name/);
  });

  it('a production key needs the password again', async () => {
    const { client } = await signedIn();
    const none = await generate(client, 'production', 'Prod backend');
    assert.equal(none.page.status, 403);
    assert.equal(none.secret, undefined);
    const wrong = await generate(client, 'production', 'Prod backend', 'not my password');
    assert.equal(wrong.page.status, 403);
    assert.match(wrong.page.body, /The password is not correct/);
    assert.match(wrong.page.body, /value="Prod backend"/); // the form keeps the name
    const right = await generate(client, 'production', 'Prod backend', testPassword);
    assert.equal(right.page.status, 201);
    assert.match(right.secret ?? '', /^pik_live_/);
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: right.secret })).body.environment, 'production');
  });
});

describe('Settings › API Keys: delete', () => {
  it('asks for confirmation, then the key fails at once with 401 API_KEY_REVOKED', async () => {
    const { client } = await signedIn();
    const { secret } = await generate(client, 'sandbox', 'To delete');
    assert.ok(secret);
    const list = await client.get('/dashboard/settings/api-keys/sandbox');
    const keyId = /data-key-id="(key_[0-9a-z]+)"/.exec(list.body)?.[1];
    assert.ok(keyId);
    const confirm = await client.get(`/dashboard/settings/api-keys/sandbox/${keyId}/delete`);
    assert.equal(confirm.status, 200);
    assert.match(confirm.body, /This cannot be undone/);
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: secret })).status, 200);

    const deleted = await client.post(`/dashboard/settings/api-keys/sandbox/${keyId}/delete`, {});
    assert.equal(deleted.status, 303);
    const after = await ctx.call('GET', '/api/v1/account', { key: secret });
    assert.equal(after.status, 401);
    assert.equal(after.body.error.code, 'API_KEY_REVOKED');
    const notice = await client.get(deleted.location ?? '');
    assert.match(notice.body, /Deleted “To delete”/);
    const again = await client.post(`/dashboard/settings/api-keys/sandbox/${keyId}/delete`, {});
    assert.equal(again.status, 303); // already deleted: the wanted outcome holds
    assert.equal((await client.get(`/dashboard/settings/api-keys/production/${keyId}/delete`)).status, 404); // not a production key
  });
});

describe('request log', () => {
  it('records time, method, path, status, x-on-behalf-of, error code and request id — never the key', async () => {
    const { platform, client } = await signedIn();
    const { secret } = await generate(client, 'sandbox', 'Logged');
    assert.ok(secret);
    const account = await createTestConnectedAccount(ctx, asTestPlatform(platform.id, secret), 'sandbox', { reference_id: 'cust-log-1' });
    const ok = await ctx.call('GET', '/api/v1/account', { key: secret, onBehalfOf: account });
    const missing = await ctx.call('GET', '/api/v1/account', { key: secret, onBehalfOf: 'acct_01m8g4v2amhzvvtznqxqww9kqs' });
    const junk = await ctx.call('GET', `/api/v1/accounts/${account}`, { key: secret, headers: { 'x-on-behalf-of': 'Bearer something-secret' } });
    assert.equal(ok.status, 200);
    assert.equal(missing.body.error.code, 'ACCOUNT_NOT_FOUND');
    assert.equal(junk.body.error.code, 'INVALID_ON_BEHALF_OF');
    await ctx.services.requestLog.flush();

    const list = await client.get('/dashboard/settings/api-keys/sandbox');
    const keyId = /data-key-id="(key_[0-9a-z]+)"/.exec(list.body)?.[1];
    const log = await client.get(`/dashboard/settings/api-keys/sandbox/${keyId}/requests`);
    assert.equal(log.status, 200);
    for (const text of [ok.headers['x-request-id'], missing.headers['x-request-id'], 'ACCOUNT_NOT_FOUND', 'INVALID_ON_BEHALF_OF', '/api/v1/account', account]) {
      assert.ok(log.body.includes(String(text)), `request log shows ${String(text)}`);
    }
    assert.equal(log.body.includes(secret), false);
    assert.equal(log.body.includes('something-secret'), false);
    const stored = await ctx.services.db.env('sandbox').selectFrom('request_log_segments').selectAll().where('platform_id', '=', platform.id).execute();
    const lines = stored.flatMap((segment) => gunzipSync(segment.entries).toString('utf8').split('\n').map((line) => JSON.parse(line) as unknown[]));
    assert.equal(lines.length, 4); // the account's creation and the three calls above
    // x-on-behalf-of is the last field of a line: kept only when it is an account id, 'invalid' for anything else.
    const named = lines.map((line) => line[7]).filter((value) => value !== null);
    assert.deepEqual(named.sort(), [account, 'acct_01m8g4v2amhzvvtznqxqww9kqs', 'invalid'].sort());
    assert.ok(lines.every((line) => !JSON.stringify(line).includes(secret) && !JSON.stringify(line).includes('something-secret')));
    assert.ok(stored.every((r) => !JSON.stringify({ ...r, entries: null }).includes(secret)));

    const accountPage = await client.get(`/dashboard/accounts/sandbox/${account}`);
    assert.equal(accountPage.status, 200);
    assert.ok(accountPage.body.includes(String(ok.headers['x-request-id'])));
    assert.ok(accountPage.body.includes(String(junk.headers['x-request-id'])));
  });

  it('flags a key sent in a URL as exposed', async () => {
    const { client } = await signedIn();
    const { secret } = await generate(client, 'sandbox', 'Leaky');
    const leaked = await ctx.call('GET', `/api/v1/account?api_key=${secret}`);
    assert.equal(leaked.body.error.code, 'API_KEY_IN_URL');
    const list = await client.get('/dashboard/settings/api-keys/sandbox');
    assert.match(list.body, /Exposed — rotate/);
  });
});

describe('Accounts', () => {
  it('lists connected accounts per environment with search by email or reference_id, verification and capabilities', async () => {
    const { platform, client } = await signedIn();
    const { secret } = await generate(client, 'sandbox', 'Accounts');
    assert.ok(secret);
    const p = asTestPlatform(platform.id, secret);
    const a = await createTestConnectedAccount(ctx, p, 'sandbox', { email: 'jane.doe@example.test', reference_id: 'cust_jane' });
    const b = await createTestConnectedAccount(ctx, p, 'sandbox', { email: 'bob@example.test', reference_id: 'cust_bob' });
    const all = await client.get('/dashboard/accounts/sandbox');
    assert.equal(all.status, 200);
    assert.ok(all.body.includes(a) && all.body.includes(b));
    assert.match(all.body, /unverified/);
    const byEmail = await client.get('/dashboard/accounts/sandbox?q=JANE.doe%40');
    assert.ok(byEmail.body.includes(a) && !byEmail.body.includes(b));
    const byRef = await client.get('/dashboard/accounts/sandbox?q=cust_bob');
    assert.ok(byRef.body.includes(b) && !byRef.body.includes(a));
    const wildcard = await client.get('/dashboard/accounts/sandbox?q=%25');
    assert.match(wildcard.body, /No connected account matches/);
    assert.equal((await client.get('/dashboard/accounts/production')).body.includes(a), false);
    const detail = await client.get(`/dashboard/accounts/sandbox/${a}`);
    assert.equal(detail.status, 200);
    assert.match(detail.body, /Inbound payments<span class="visually-hidden">: inactive/);
    assert.match(detail.body, /Balances/);
    assert.match(detail.body, /AUD/);
    assert.equal((await client.get(`/dashboard/accounts/production/${a}`)).status, 404);
    // The platform's own page shows its sandbox starting balance as the API does: full precision, signed, per currency.
    const own = await client.get(`/dashboard/accounts/sandbox/${platform.id}`);
    assert.match(own.body, /<th scope="row">USDT<\/th><td class="num mono">100000\.000000<\/td><td class="num mono">0\.000000<\/td>/);
    assert.match(own.body, /<td class="num mono">100000\.00 AUD<\/td><td class="num mono">0\.00<\/td><td class="num mono">100000\.00<\/td><td>Sandbox starting balance<\/td><td>sandbox funding<\/td>/);
  });

  it('bad input is a 4xx page, never a 500', async () => {
    const { client } = await signedIn();
    assert.equal((await client.get('/dashboard/accounts/staging')).status, 404);
    assert.equal((await client.get('/dashboard/accounts/sandbox?cursor=%E2%9C%93nope')).status, 400);
    assert.equal((await client.get('/dashboard/accounts/sandbox/not-an-id')).status, 404);
    assert.equal((await client.get('/dashboard/settings/api-keys/staging')).status, 404);
    assert.equal((await client.get('/dashboard/settings/api-keys/sandbox/key_nope/delete')).status, 404);
    await client.get('/dashboard/settings/api-keys/sandbox');
    const tooLong = await client.post('/dashboard/settings/api-keys/sandbox', { name: 'n'.repeat(500) });
    assert.equal(tooLong.status, 400);
    assert.match(tooLong.body, /at most 100 characters/);
  });
});

describe('isolation between platforms', () => {
  it("one platform's user never sees or touches another platform's keys or accounts", async () => {
    const alice = await signedIn();
    const bob = await signedIn();
    const bobKey = await generate(bob.client, 'sandbox', 'Bob secret service');
    assert.ok(bobKey.secret);
    const bobAccount = await createTestConnectedAccount(ctx, asTestPlatform(bob.platform.id, bobKey.secret), 'sandbox', { email: 'bob-customer@example.test', reference_id: 'bob-ref' });
    const bobList = await bob.client.get('/dashboard/settings/api-keys/sandbox');
    const bobKeyId = /data-key-id="(key_[0-9a-z]+)"/.exec(bobList.body)?.[1];
    assert.ok(bobKeyId);

    const aliceKeys = await alice.client.get('/dashboard/settings/api-keys/sandbox');
    assert.equal(aliceKeys.body.includes('Bob secret service'), false);
    assert.equal(aliceKeys.body.includes(bobKeyId), false);
    assert.equal((await alice.client.get(`/dashboard/settings/api-keys/sandbox/${bobKeyId}/delete`)).status, 404);
    assert.equal((await alice.client.get(`/dashboard/settings/api-keys/sandbox/${bobKeyId}/requests`)).status, 404);
    await alice.client.get('/dashboard/settings/api-keys/sandbox');
    assert.equal((await alice.client.post(`/dashboard/settings/api-keys/sandbox/${bobKeyId}/delete`, {})).status, 404);
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: bobKey.secret })).status, 200);

    const aliceAccounts = await alice.client.get('/dashboard/accounts/sandbox?q=bob-ref');
    assert.equal(aliceAccounts.body.includes(bobAccount), false);
    assert.equal((await alice.client.get('/dashboard/accounts/sandbox')).body.includes(bobAccount), false);
    assert.equal((await alice.client.get(`/dashboard/accounts/sandbox/${bobAccount}`)).status, 404);
    assert.equal((await alice.client.get(`/dashboard/accounts/sandbox/${bob.platform.id}`)).status, 404);
  });
});
