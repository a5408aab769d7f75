// Issue 15 (10): failed authentication is not free — after PIK_AUTH_FAILURES_PER_MINUTE 401s an address gets 429 with
// Retry-After (API keys and the operator token alike) and costs no key lookup, while valid keys keep working.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateApiKey } from '../src/lib/api-key.ts';
import { createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';

const limit = 3;
const windowMs = 60_000;
// The injected clock starts one second into a one-minute window, so Retry-After is known exactly.
let now = Math.ceil(Date.now() / windowMs) * windowMs + 1_000;
let ctx: TestContext;
let platform: TestPlatform;
let lookups = 0;

before(async () => {
  ctx = await startTestApp({ rateLimitEnabled: true, authFailuresPerMinute: limit }, { now: () => new Date(now) });
  platform = await createTestPlatform(ctx);
  const cache = ctx.services.keyCache;
  const load = cache.load.bind(cache);
  cache.load = (hash) => {
    lookups++;
    return load(hash);
  };
});
after(() => ctx.close());

async function call(address: string, url: string, authorization?: string) {
  const response = await ctx.app.inject({ method: 'GET', url, remoteAddress: address, headers: authorization ? { authorization } : {} });
  return { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body) };
}

/** A key that passes the format and checksum check but belongs to nobody: each costs a lookup unless refused first. */
const fakeKey = (): string => `Bearer ${generateApiKey('sandbox').secret}`;

describe('failed authentication per client address', () => {
  it('after the limit of 401s an address gets 429 with Retry-After and no lookup; its valid key still works; the window resets', async () => {
    const address = '198.51.100.10';
    const valid = `Bearer ${platform.keys.sandbox}`;
    assert.equal((await call(address, '/api/v1/account', valid)).status, 200);

    for (let i = 0; i < limit; i++) {
      const refused = await call(address, '/api/v1/account', fakeKey());
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error.code, 'INVALID_API_KEY');
    }
    const before = lookups;
    for (const authorization of [fakeKey(), undefined, 'Basic x', `Bearer ${platform.keys.production}x`]) {
      const throttled = await call(address, '/api/v1/account', authorization);
      assert.equal(throttled.status, 429, String(authorization));
      assert.equal(throttled.body.error.code, 'AUTHENTICATION_THROTTLED');
      assert.equal(throttled.headers['retry-after'], '59');
      assert.equal(throttled.body.error.detail.retry_after_seconds, 59);
      assert.equal(throttled.headers['www-authenticate'], undefined);
    }
    // Unknown /api/v1 paths are behind the same gate.
    assert.equal((await call(address, '/api/v1/nothing-here', fakeKey())).status, 429);
    assert.equal(lookups, before, 'a throttled address must not cost a key lookup');

    // Someone else's failures do not stop a key this process knows to be valid, from the same address.
    assert.equal((await call(address, '/api/v1/account', valid)).status, 200);
    // Nor another address.
    assert.equal((await call('198.51.100.11', '/api/v1/account', fakeKey())).status, 401);

    now += 59_000; // the next window
    const again = await call(address, '/api/v1/account', fakeKey());
    assert.equal(again.status, 401);
    assert.equal(again.body.error.code, 'INVALID_API_KEY');
  });

  it('40 unknown keys sent at once from one address: exactly the limit is looked up, the rest get 429 (issue 15, class of 2)', async () => {
    // A check made before any lookup has answered would let all 40 through to the database: lookups count as they start.
    const address = '198.51.100.40';
    const before = lookups;
    const answers = await Promise.all(Array.from({ length: 40 }, () => call(address, '/api/v1/account', fakeKey())));
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 401).length, limit, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 40 - limit, statuses.join(' '));
    assert.equal(lookups - before, limit, 'no more lookups than the limit');
    // Settled lookups count as failures: the address stays blocked afterwards.
    assert.equal((await call(address, '/api/v1/account', fakeKey())).status, 429);
  });

  it('a valid key whose cache entry expired is re-checked from a throttled address', async () => {
    const address = '198.51.100.20';
    const valid = `Bearer ${platform.keys.sandbox}`;
    assert.equal((await call(address, '/api/v1/account', valid)).status, 200);
    for (let i = 0; i < limit; i++) assert.equal((await call(address, '/api/v1/account', fakeKey())).status, 401);
    // Expire the positive entry without leaving the window: the key cache has its own clock.
    const hit = ctx.services.keyCache.cached.bind(ctx.services.keyCache);
    ctx.services.keyCache.cached = () => undefined;
    try {
      const before = lookups;
      assert.equal((await call(address, '/api/v1/account', valid)).status, 200);
      assert.equal(lookups, before + 1);
      assert.equal((await call(address, '/api/v1/account', fakeKey())).status, 429);
    } finally {
      ctx.services.keyCache.cached = hit;
    }
    now += windowMs;
  });

  it('the operator token: after the limit of failures the address gets 429, even with the right token, until the window ends', async () => {
    const address = '198.51.100.30';
    const right = `Bearer ${ctx.operatorToken}`;
    assert.equal((await call(address, '/admin/v1/platforms', right)).status, 200);
    for (const wrong of ['Bearer wrong-token', undefined, `Bearer ${platform.keys.sandbox}`]) {
      const refused = await call(address, '/admin/v1/platforms', wrong);
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error.code, 'OPERATOR_TOKEN_INVALID');
    }
    for (const url of ['/admin/v1/platforms', '/admin/v1/nothing-here']) {
      const throttled = await call(address, url, right);
      assert.equal(throttled.status, 429, url);
      assert.equal(throttled.body.error.code, 'AUTHENTICATION_THROTTLED');
      assert.ok(Number(throttled.headers['retry-after']) >= 1);
    }
    now += windowMs;
    assert.equal((await call(address, '/admin/v1/platforms', right)).status, 200);
  });

  it('API-key and operator-token failures from one address share one budget', async () => {
    const address = '198.51.100.40';
    assert.equal((await call(address, '/api/v1/account', fakeKey())).status, 401);
    assert.equal((await call(address, '/admin/v1/platforms', 'Bearer wrong-token')).status, 401);
    assert.equal((await call(address, '/api/v1/account')).status, 401);
    assert.equal((await call(address, '/admin/v1/platforms', 'Bearer wrong-token')).status, 429);
    assert.equal((await call(address, '/api/v1/account', fakeKey())).status, 429);
    now += windowMs;
  });
});
