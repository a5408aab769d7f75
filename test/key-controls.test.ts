// Keys beyond the anchors over HTTP: restrictions in the key JSON, expiry at the instant (a movable clock), rolling
// with a grace period, changes applied at once, and the expiry worker's events reaching the platform's event log.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';

let ctx: TestContext;
let platform: TestPlatform;
let nowMs = Date.parse('2026-06-01T00:00:00Z');
const hour = 3600_000;
const day = 24 * hour;

before(async () => {
  ctx = await startTestApp({}, { now: () => new Date(nowMs) });
  platform = await createTestPlatform(ctx);
});
after(() => ctx.close());

const makeKey = async (body: Record<string, unknown>) => {
  const created = await ctx.admin('POST', `/admin/v1/platforms/${platform.id}/keys`, { environment: 'sandbox', ...body });
  assert.equal(created.status, 201, created.raw);
  return created.body as { id: string; secret: string; [field: string]: unknown };
};
const account = (key: string) => ctx.call('GET', '/api/v1/account', { key });

describe('creating keys with permissions, expires_at and allowed_ips', () => {
  it('the key JSON shows all three; the defaults are full, never, any address', async () => {
    const plain = await makeKey({});
    assert.equal(plain.permissions, 'full');
    assert.equal(plain.expires_at, null);
    assert.equal(plain.allowed_ips, null);
    const expiresAt = new Date(nowMs + 30 * day).toISOString();
    const restricted = await makeKey({ permissions: { balances: 'read', payouts: 'write' }, expires_at: expiresAt, allowed_ips: ['203.0.113.9', '198.51.100.7/24', '2001:DB8::/32'] });
    assert.deepEqual(restricted.permissions, { balances: 'read', payouts: 'write' });
    assert.equal(restricted.expires_at, expiresAt);
    assert.deepEqual(restricted.allowed_ips, ['203.0.113.9', '198.51.100.0/24', '2001:db8::/32']);
    const listed = await ctx.admin('GET', `/admin/v1/platforms/${platform.id}/keys?environment=sandbox`);
    const row = listed.body.data.find((k: { id: string }) => k.id === restricted.id);
    assert.deepEqual([row.permissions, row.expires_at, row.allowed_ips, row.status], [restricted.permissions, expiresAt, restricted.allowed_ips, 'active']);
  });

  it('400 naming the field for a bad permission, a past expiry or a bad address', async () => {
    const bad = async (body: Record<string, unknown>, field: string) => {
      const result = await ctx.admin('POST', `/admin/v1/platforms/${platform.id}/keys`, { environment: 'sandbox', ...body });
      assert.equal(result.status, 400, result.raw);
      assert.equal(result.body.error.code, 'INVALID_REQUEST');
      assert.equal(result.body.error.detail.field, field);
      return result.body.error;
    };
    await bad({ permissions: { payouts: 'admin' } }, 'permissions.payouts');
    const unknown = await bad({ permissions: { money: 'read' } }, 'permissions.money');
    assert.ok(unknown.detail.known_resources.includes('fx'));
    await bad({ permissions: {} }, 'permissions');
    await bad({ permissions: 'some' }, 'permissions');
    await bad({ expires_at: new Date(nowMs - 1000).toISOString() }, 'expires_at');
    const address = await bad({ allowed_ips: ['203.0.113.9', '10.1'] }, 'allowed_ips[1]');
    assert.equal(address.detail.value, '10.1');
    await bad({ allowed_ips: ['10.0.0.0/33'] }, 'allowed_ips[0]');
    await bad({ allowed_ips: Array.from({ length: 51 }, (_, i) => `10.0.0.${i}`) }, 'allowed_ips');
  });

  it('a restricted key is refused outside its permissions with detail.required, and never exceeds its platform', async () => {
    const key = await makeKey({ permissions: { accounts: 'read', payouts: 'read' } });
    assert.equal((await account(key.secret)).status, 200);
    const create = await ctx.call('POST', '/api/v1/accounts', { key: key.secret, body: { customer_type: 'individual', email: 'r@example.test', country: 'AU' } });
    assert.equal(create.status, 403);
    assert.deepEqual(create.body.error, { ...create.body.error, code: 'KEY_PERMISSION_DENIED', detail: { required: 'accounts:write' } });
    assert.equal((await ctx.call('GET', '/api/v1/payouts', { key: key.secret })).status, 200);
    const write = await ctx.call('POST', '/api/v1/payouts', { key: key.secret, body: {} });
    assert.deepEqual([write.status, write.body.error.detail], [403, { required: 'payouts:write' }]);
    // payouts:write granted, but the platform's production payouts capability is off: the platform's 403 still holds.
    const live = await ctx.admin('POST', `/admin/v1/platforms/${platform.id}/keys`, { environment: 'production', permissions: { payouts: 'write' } });
    const payout = await ctx.call('POST', '/api/v1/payouts', {
      key: live.body.secret,
      body: { currency: 'AUD', amount: '1.00', destination_type: 'bank_account', destination: { account_name: 'A', bsb: '062000', account_number: '12345678' } },
    });
    assert.equal(payout.status, 403, payout.raw);
    assert.equal(payout.body.error.code, 'CAPABILITY_NOT_ACTIVATED');
  });
});

describe('expiry at the instant', () => {
  it('works until expires_at, then 401 API_KEY_EXPIRED with the time, without a new lookup', async () => {
    const expiresAt = new Date(nowMs + hour);
    const key = await makeKey({ expires_at: expiresAt.toISOString() });
    assert.equal((await account(key.secret)).status, 200); // cached now
    nowMs = expiresAt.getTime() - 1;
    assert.equal((await account(key.secret)).status, 200);
    nowMs = expiresAt.getTime();
    const refused = await account(key.secret);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, 'API_KEY_EXPIRED');
    assert.deepEqual(refused.body.error.detail, { expired_at: expiresAt.toISOString() });
    const listed = await ctx.admin('GET', `/admin/v1/platforms/${platform.id}/keys?environment=sandbox`);
    assert.equal(listed.body.data.find((k: { id: string }) => k.id === key.id).status, 'expired');
  });
});

describe('rolling a key', () => {
  it('makes a successor with the same name, permissions and allowlist; the old key works until its grace ends', async () => {
    const old = await makeKey({ name: 'Backend', permissions: { accounts: 'read' }, allowed_ips: ['127.0.0.1'] });
    const rolled = await ctx.admin('POST', `/admin/v1/keys/${old.id}/roll`, { expires_in_seconds: 24 * 3600 });
    assert.equal(rolled.status, 201, rolled.raw);
    const successor = rolled.body;
    assert.match(successor.secret, /^pik_test_/);
    assert.notEqual(successor.id, old.id);
    assert.deepEqual([successor.name, successor.permissions, successor.allowed_ips, successor.rolled_from, successor.expires_at], ['Backend', { accounts: 'read' }, ['127.0.0.1'], old.id, null]);
    assert.equal(successor.previous.rolled_to, successor.id);
    assert.equal(successor.previous.expires_at, new Date(nowMs + day).toISOString());
    assert.equal((await account(successor.secret)).status, 200);
    nowMs += day - 1000;
    assert.equal((await account(old.secret)).status, 200, 'the old key keeps working during the grace period');
    nowMs += 1000;
    assert.equal((await account(old.secret)).body.error.code, 'API_KEY_EXPIRED');
    assert.equal((await account(successor.secret)).status, 200);
  });

  it('0 seconds expires the old key at once; a second roll is 409; out-of-range grace is 400', async () => {
    const old = await makeKey({});
    assert.equal((await account(old.secret)).status, 200);
    const rolled = await ctx.admin('POST', `/admin/v1/keys/${old.id}/roll`, { expires_in_seconds: 0 });
    assert.equal(rolled.status, 201);
    assert.equal((await account(old.secret)).body.error.code, 'API_KEY_EXPIRED');
    const again = await ctx.admin('POST', `/admin/v1/keys/${old.id}/roll`, { expires_in_seconds: 60 });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'API_KEY_ALREADY_ROLLED');
    assert.equal((await ctx.admin('POST', `/admin/v1/keys/${rolled.body.id}/roll`, { expires_in_seconds: 8 * 24 * 3600 })).status, 400);
    assert.equal((await ctx.admin('POST', '/admin/v1/keys/key_01m8g5hycd5qba505sf93e83c5/roll', { expires_in_seconds: 0 })).status, 404);
  });
});

describe('changing a key', () => {
  it('PATCH permissions and allowed_ips applies on the next request', async () => {
    const key = await makeKey({});
    assert.equal((await account(key.secret)).status, 200);
    const patched = await ctx.admin('PATCH', `/admin/v1/keys/${key.id}`, { permissions: { events: 'read' }, allowed_ips: ['192.0.2.1'] });
    assert.equal(patched.status, 200, patched.raw);
    const refused = await account(key.secret);
    assert.deepEqual([refused.status, refused.body.error.code, refused.body.error.detail], [403, 'IP_NOT_ALLOWED', { ip: '127.0.0.1' }]);
    await ctx.admin('PATCH', `/admin/v1/keys/${key.id}`, { allowed_ips: null });
    assert.equal((await account(key.secret)).body.error.code, 'KEY_PERMISSION_DENIED');
    await ctx.admin('PATCH', `/admin/v1/keys/${key.id}`, { permissions: 'full' });
    assert.equal((await account(key.secret)).status, 200);
  });
});

describe('the expiry worker', () => {
  it('api_key.expiring at 7 days and 1 day, then api_key.expired, each once, in the event log', async () => {
    const other = await createTestPlatform(ctx);
    const expiresAt = new Date(nowMs + 10 * day);
    const key = await ctx.admin('POST', `/admin/v1/platforms/${other.id}/keys`, { environment: 'sandbox', expires_at: expiresAt.toISOString() });
    const types = async () => {
      const events = await ctx.call('GET', '/api/v1/events?limit=100', { key: other.keys.sandbox });
      return (events.body.data as { type: string; data: { id: string; notice?: string } }[])
        .filter((e) => e.type.startsWith('api_key.') && e.data.id === key.body.id && e.type !== 'api_key.created')
        .map((e) => `${e.type}${e.data.notice ? `:${e.data.notice}` : ''}`)
        .reverse();
    };
    await ctx.services.keyExpiry.runOnce();
    assert.deepEqual(await types(), []);
    nowMs = expiresAt.getTime() - 7 * day;
    await ctx.services.keyExpiry.runOnce();
    await ctx.services.keyExpiry.runOnce();
    assert.deepEqual(await types(), ['api_key.expiring:7d']);
    nowMs = expiresAt.getTime() - day + 1;
    await ctx.services.keyExpiry.runOnce();
    assert.deepEqual(await types(), ['api_key.expiring:7d', 'api_key.expiring:1d']);
    nowMs = expiresAt.getTime();
    await ctx.services.keyExpiry.runOnce();
    await ctx.services.keyExpiry.runOnce();
    assert.deepEqual(await types(), ['api_key.expiring:7d', 'api_key.expiring:1d', 'api_key.expired']);
  });
});
