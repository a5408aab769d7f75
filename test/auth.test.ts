// Spec §3: bearer keys, the 401 codes, x-on-behalf-of and the scope rules, on the account routes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestConnectedAccount, createTestKey, createTestPlatform, startTestApp, type TestContext } from './support/context.ts';
import { createSecurityFixture, type SecurityFixture } from './support/route-security.ts';

let ctx: TestContext;
let f: SecurityFixture;

before(async () => {
  ctx = await startTestApp();
  f = await createSecurityFixture(ctx);
});
after(() => ctx.close());

describe('GET /api/v1/account', () => {
  it('200 with the platform account for a sandbox key, and the x-request-id header', async () => {
    const result = await ctx.call('GET', '/api/v1/account', { key: f.platform.keys.sandbox });
    assert.equal(result.status, 200);
    assert.equal(result.body.id, f.platform.id);
    assert.equal(result.body.type, 'platform');
    assert.equal(result.body.environment, 'sandbox');
    assert.equal(result.body.verification_status, 'approved');
    assert.deepEqual(result.body.capabilities, { inbound_payments: 'active', fx_conversion: 'active', payouts: 'active' });
    assert.match(String(result.headers['x-request-id']), /^req_[0-9a-z]{26}$/);
  });

  it('200 with the production view for a production key (no production capabilities until the operator enables them)', async () => {
    const result = await ctx.call('GET', '/api/v1/account', { key: f.platform.keys.production });
    assert.equal(result.status, 200);
    assert.equal(result.body.environment, 'production');
    assert.deepEqual(result.body.capabilities, { inbound_payments: 'inactive', fx_conversion: 'inactive', payouts: 'inactive' });
  });

  it('the scheme word is case-insensitive', async () => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const result = await ctx.call('GET', '/api/v1/account', { headers: { authorization: `${scheme} ${f.platform.keys.sandbox}` } });
      assert.equal(result.status, 200, scheme);
    }
  });

  it('x-on-behalf-of scopes the request to the connected account', async () => {
    const result = await ctx.call('GET', '/api/v1/account', { key: f.platform.keys.sandbox, onBehalfOf: f.account });
    assert.equal(result.status, 200);
    assert.equal(result.body.id, f.account);
    assert.equal(result.body.type, 'connected');
    assert.equal(result.body.verification_status, 'unverified');
  });

  it("x-on-behalf-of naming the platform's own account means the platform scope", async () => {
    const result = await ctx.call('GET', '/api/v1/account', { key: f.platform.keys.sandbox, onBehalfOf: f.platform.id });
    assert.equal(result.status, 200);
    assert.equal(result.body.id, f.platform.id);
  });

  it('x-on-behalf-of naming an unknown id is 404, not 400', async () => {
    const result = await ctx.call('GET', '/api/v1/account', { key: f.platform.keys.sandbox, onBehalfOf: 'acct_01m8g4v2amhzvvtznqxqww9kqs' });
    assert.equal(result.status, 404);
    assert.equal(result.body.error.code, 'ACCOUNT_NOT_FOUND');
  });

  it("another platform's own account id in x-on-behalf-of is 404", async () => {
    const result = await ctx.call('GET', '/api/v1/account', { key: f.platform.keys.sandbox, onBehalfOf: f.other.id });
    assert.equal(result.status, 404);
    assert.equal(result.body.error.code, 'ACCOUNT_NOT_FOUND');
  });
});

describe('key rotation', () => {
  it('two keys of one environment work at once; the deleted one gets API_KEY_REVOKED and the other keeps working', async () => {
    const platform = await createTestPlatform(ctx);
    const second = await createTestKey(ctx, platform.id, 'sandbox');
    for (const key of [platform.keys.sandbox, second.secret]) {
      assert.equal((await ctx.call('GET', '/api/v1/account', { key })).status, 200);
    }
    const deleted = await ctx.admin('DELETE', `/admin/v1/keys/${platform.keyIds.sandbox}`);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.status, 'deleted');
    const old = await ctx.call('GET', '/api/v1/account', { key: platform.keys.sandbox });
    assert.equal(old.status, 401);
    assert.equal(old.body.error.code, 'API_KEY_REVOKED');
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: second.secret })).status, 200);
  });

  it('deleting a key twice is a 409, and an unknown key id a 404', async () => {
    const platform = await createTestPlatform(ctx);
    assert.equal((await ctx.admin('DELETE', `/admin/v1/keys/${platform.keyIds.sandbox}`)).status, 200);
    const again = await ctx.admin('DELETE', `/admin/v1/keys/${platform.keyIds.sandbox}`);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'API_KEY_ALREADY_DELETED');
    const unknown = await ctx.admin('DELETE', '/admin/v1/keys/key_01m8g4v2eddte8cb402zj8tcnj');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'API_KEY_NOT_FOUND');
  });
});

describe('last used', () => {
  it('is recorded in batches, with the caller IP, without a write per request', async () => {
    const platform = await createTestPlatform(ctx);
    const before = await ctx.admin('GET', `/admin/v1/platforms/${platform.id}/keys?environment=sandbox`);
    assert.equal(before.body.data[0].last_used_at, null);
    for (let i = 0; i < 3; i++) await ctx.call('GET', '/api/v1/account', { key: platform.keys.sandbox });
    const stored = () => ctx.services.db.core.selectFrom('core.api_keys').select('last_used_at').where('id', '=', platform.keyIds.sandbox).executeTakeFirstOrThrow();
    assert.equal((await stored()).last_used_at, null, 'usage must not be written per request');
    // The listing shows this process's unflushed use at once (issue 16), before the batch is written.
    const unflushed = await ctx.admin('GET', `/admin/v1/platforms/${platform.id}/keys?environment=sandbox`);
    assert.ok(unflushed.body.data[0].last_used_at, 'the list shows the use before it is written');
    await ctx.services.keyUsage.flush();
    assert.ok((await stored()).last_used_at, 'the batch wrote it');
    const after = await ctx.admin('GET', `/admin/v1/platforms/${platform.id}/keys?environment=sandbox`);
    assert.ok(after.body.data[0].last_used_at);
    assert.equal(after.body.data[0].last_used_ip, '127.0.0.1');
  });
});

describe('API keys in the URL', () => {
  it('400 API_KEY_IN_URL before anything else, without an Authorization header, and the key is flagged as exposed', async () => {
    const platform = await createTestPlatform(ctx);
    for (const url of [
      `/api/v1/account?api_key=${platform.keys.sandbox}`,
      `/api/v1/account?key=whatever`,
      `/api/v1/account?q=${platform.keys.sandbox}`,
      `/api/v1/nonexistent?token=${platform.keys.sandbox}`,
    ]) {
      const result = await ctx.call('GET', url);
      assert.equal(result.status, 400, url);
      assert.equal(result.body.error.code, 'API_KEY_IN_URL');
    }
    const keys = await ctx.admin('GET', `/admin/v1/platforms/${platform.id}/keys?environment=sandbox`);
    assert.equal(keys.body.data[0].exposed, true);
    assert.ok(keys.body.data[0].exposed_at);
  });
});

describe('path account rules', () => {
  it('the platform may read itself and its connected accounts; with x-on-behalf-of the path must match', async () => {
    const own = await ctx.call('GET', `/api/v1/accounts/${f.platform.id}`, { key: f.platform.keys.sandbox });
    assert.equal(own.status, 200);
    assert.equal(own.body.type, 'platform');
    const connected = await ctx.call('GET', `/api/v1/accounts/${f.account}`, { key: f.platform.keys.sandbox });
    assert.equal(connected.status, 200);
    const scoped = await ctx.call('GET', `/api/v1/accounts/${f.account}`, { key: f.platform.keys.sandbox, onBehalfOf: f.account });
    assert.equal(scoped.status, 200);
    const mismatch = await ctx.call('GET', `/api/v1/accounts/${f.platform.id}`, { key: f.platform.keys.sandbox, onBehalfOf: f.account });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.error.code, 'ON_BEHALF_OF_MISMATCH');
  });

  it('a malformed id in the path is simply not found', async () => {
    const result = await ctx.call('GET', '/api/v1/accounts/nonsense', { key: f.platform.keys.sandbox });
    assert.equal(result.status, 404);
    assert.equal(result.body.error.code, 'ACCOUNT_NOT_FOUND');
  });
});

describe('isolation', () => {
  it('a sandbox key never lists production accounts and vice versa', async () => {
    const platform = await createTestPlatform(ctx);
    const sandboxAccount = await createTestConnectedAccount(ctx, platform, 'sandbox');
    const productionAccount = await createTestConnectedAccount(ctx, platform, 'production');
    const sandboxList = await ctx.call('GET', '/api/v1/accounts', { key: platform.keys.sandbox });
    const productionList = await ctx.call('GET', '/api/v1/accounts', { key: platform.keys.production });
    assert.deepEqual(sandboxList.body.data.map((a: { id: string }) => a.id), [sandboxAccount]);
    assert.deepEqual(productionList.body.data.map((a: { id: string }) => a.id), [productionAccount]);
  });
});
