// Spec §2 rate limits: per key and group per minute, headers on every response, 429 with Retry-After, operator overrides.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestKey, createTestPlatform, startTestApp, type TestContext } from './support/context.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp({ rateLimitEnabled: true });
});
after(() => ctx.close());

describe('rate limits', () => {
  it('every authenticated response carries the ratelimit headers, counting down', async () => {
    const platform = await createTestPlatform(ctx);
    const first = await ctx.call('GET', '/api/v1/account', { key: platform.keys.sandbox });
    const second = await ctx.call('GET', '/api/v1/account', { key: platform.keys.sandbox });
    assert.equal(first.headers['ratelimit-limit'], '300');
    assert.equal(Number(first.headers['ratelimit-remaining']) - 1, Number(second.headers['ratelimit-remaining']));
    const reset = Number(first.headers['ratelimit-reset']);
    assert.ok(reset >= 1 && reset <= 60);
    const notFound = await ctx.call('GET', '/api/v1/accounts/acct_01m8g4v2amhzvvtznqxqww9kqs', { key: platform.keys.sandbox });
    assert.equal(notFound.status, 404);
    assert.ok(notFound.headers['ratelimit-remaining'] !== undefined);
  });

  it('over the limit: 429 RATE_LIMITED with Retry-After; another key of the platform has its own budget', async () => {
    const platform = await createTestPlatform(ctx);
    const limited = await ctx.admin('PUT', `/admin/v1/platforms/${platform.id}/rate-limits`, { limits: { general: 3 } });
    assert.equal(limited.status, 200);
    assert.equal(limited.body.limits.general, 3);
    assert.equal(limited.body.limits.payments, 60);
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await ctx.call('GET', '/api/v1/account', { key: platform.keys.sandbox });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assert.equal(last?.body.error.code, 'RATE_LIMITED');
    assert.ok(Number(last?.headers['retry-after']) >= 1);
    assert.equal(last?.headers['ratelimit-remaining'], '0');
    const other = await createTestKey(ctx, platform.id, 'sandbox');
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: other.secret })).status, 200);
  });

  it('FX rates, quotes and conversions share the fx group (60 a minute by default), apart from general', async () => {
    const fresh = await createTestPlatform(ctx);
    const first = await ctx.call('GET', '/api/v1/fx/rates?sell_currency=AUD&buy_currency=USD', { key: fresh.keys.sandbox });
    assert.equal(first.headers['ratelimit-limit'], '60');
    const platform = await createTestPlatform(ctx);
    await ctx.admin('PUT', `/admin/v1/platforms/${platform.id}/rate-limits`, { limits: { fx: 3 } });
    const body = { sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00' };
    const statuses = [
      (await ctx.call('GET', '/api/v1/fx/rates?sell_currency=AUD&buy_currency=USD', { key: platform.keys.sandbox })).status,
      (await ctx.call('POST', '/api/v1/fx/quotes', { key: platform.keys.sandbox, body })).status,
      (await ctx.call('POST', '/api/v1/fx/conversions', { key: platform.keys.sandbox, body: { ...body, conversion_type: 'rate' } })).status,
      (await ctx.call('POST', '/api/v1/fx/conversions', { key: platform.keys.sandbox, body: { ...body, conversion_type: 'rate' } })).status,
    ];
    assert.deepEqual(statuses, [200, 201, 201, 429]);
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: platform.keys.sandbox })).status, 200, 'general is its own budget');
  });

  it('20 requests at once against a limit of 5: exactly 5 pass (concurrent attempts against the throttle)', async () => {
    const platform = await createTestPlatform(ctx);
    await ctx.admin('PUT', `/admin/v1/platforms/${platform.id}/rate-limits`, { limits: { general: 5 } });
    const answers = await Promise.all(Array.from({ length: 20 }, () => ctx.call('GET', '/api/v1/account', { key: platform.keys.sandbox })));
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 200).length, 5, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 15, statuses.join(' '));
  });

  it('the operator can raise a limit and it applies at once', async () => {
    const platform = await createTestPlatform(ctx);
    await ctx.admin('PUT', `/admin/v1/platforms/${platform.id}/rate-limits`, { limits: { general: 1 } });
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: platform.keys.sandbox })).status, 200);
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: platform.keys.sandbox })).status, 429);
    await ctx.admin('PUT', `/admin/v1/platforms/${platform.id}/rate-limits`, { limits: { general: 1000 } });
    const after = await ctx.call('GET', '/api/v1/account', { key: platform.keys.sandbox });
    assert.equal(after.status, 200);
    assert.equal(after.headers['ratelimit-limit'], '1000');
  });

  it('money routes count against their own groups: transfers and deposits "payments" (60), payouts "payouts" (30)', async () => {
    const platform = await createTestPlatform(ctx);
    const transfer = await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: {} });
    assert.equal(transfer.headers['ratelimit-limit'], '60');
    const payout = await ctx.call('POST', '/api/v1/payouts', { key: platform.keys.sandbox, body: {} });
    assert.equal(payout.headers['ratelimit-limit'], '30');
    const read = await ctx.call('GET', '/api/v1/payouts', { key: platform.keys.sandbox });
    assert.equal(read.headers['ratelimit-limit'], '300');
  });

  it('refuses unknown groups and silly limits', async () => {
    const platform = await createTestPlatform(ctx);
    for (const limits of [{ nonsense: 5 }, { general: 0 }, { general: 1.5 }]) {
      const result = await ctx.admin('PUT', `/admin/v1/platforms/${platform.id}/rate-limits`, { limits });
      assert.equal(result.status, 400, JSON.stringify(limits));
      assert.equal(result.body.error.code, 'INVALID_REQUEST');
    }
  });

  it('a shared store that does not answer (Redis down): limits fail open to this process\'s own count, with a log line, never a 500', async () => {
    const down = await startTestApp({ rateLimitEnabled: true, redisUrl: 'redis://127.0.0.1:1' });
    try {
      assert.equal(down.services.sharedCounters?.kind, 'redis');
      const platform = await createTestPlatform(down);
      await down.admin('PUT', `/admin/v1/platforms/${platform.id}/rate-limits`, { limits: { general: 3 } });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await down.call('GET', '/api/v1/account', { key: platform.keys.sandbox })).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      assert.ok(down.logLines.some((line) => line.includes('rate-limit store unavailable')), 'the fallback is logged');
      assert.ok(!down.logLines.some((line) => line.includes('redis://')), 'the URL (it may hold a password) is never logged');
    } finally {
      await down.close();
    }
  });

  it('PIK_RATE_LIMIT=off switches limiting and its headers off', async () => {
    const off = await startTestApp({ rateLimitEnabled: false });
    try {
      const platform = await createTestPlatform(off);
      await off.admin('PUT', `/admin/v1/platforms/${platform.id}/rate-limits`, { limits: { general: 1 } });
      for (let i = 0; i < 3; i++) {
        const result = await off.call('GET', '/api/v1/account', { key: platform.keys.sandbox });
        assert.equal(result.status, 200);
        assert.equal(result.headers['ratelimit-limit'], undefined);
      }
    } finally {
      await off.close();
    }
  });
});

describe('PIK_TRUST_PROXY', () => {
  it('off by default: X-Forwarded-For cannot choose the recorded IP; with one trusted hop it does', async () => {
    for (const [trustProxy, expected] of [[false, '127.0.0.1'], [1, '203.0.113.9']] as const) {
      const app = await startTestApp({ trustProxy });
      try {
        const platform = await createTestPlatform(app);
        await app.call('GET', '/api/v1/account', { key: platform.keys.sandbox, headers: { 'x-forwarded-for': '203.0.113.9' } });
        await app.services.keyUsage.flush();
        const keys = await app.admin('GET', `/admin/v1/platforms/${platform.id}/keys?environment=sandbox`);
        assert.equal(keys.body.data[0].last_used_ip, expected);
      } finally {
        await app.close();
      }
    }
  });
});
