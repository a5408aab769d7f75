// Issue 17 part 6: GET /metrics in the Prometheus text format, behind the operator token (or on PIK_METRICS_PORT without
// it), counting requests by route pattern and status with their latency, authentication failures by code, rate-limit
// rejections, ledger movements by type, the webhook queue, the database pool and the event loop.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { startReceiver } from './support/webhook-receiver.ts';
import { histogramCount, parseMetrics, sampleOf, type MetricFamily } from './support/prometheus.ts';

let ctx: TestContext;
let platform: TestPlatform;
before(async () => {
  ctx = await startTestApp({ rateLimitEnabled: true, metricsPort: 0 });
  platform = await createTestPlatform(ctx);
});
after(() => ctx.close());

let lastText = '';
async function scrape(): Promise<MetricFamily[]> {
  const result = await ctx.call('GET', '/metrics', { headers: { authorization: `Bearer ${ctx.operatorToken}` } });
  assert.equal(result.status, 200, result.raw);
  assert.match(String(result.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  lastText = result.raw;
  return parseMetrics(result.raw);
}

describe('GET /metrics', () => {
  it('needs the operator token on the API port: 401 in our error shape without it', async () => {
    const result = await ctx.call('GET', '/metrics');
    assert.equal(result.status, 401);
    assert.equal(result.body.error.code, 'OPERATOR_TOKEN_INVALID');
    const wrong = await ctx.call('GET', '/metrics', { key: 'pikop_wrong_token_wrong_token_wrong' });
    assert.equal(wrong.status, 401);
  });

  it('parses as Prometheus text and counts a request made, under its route pattern, with its latency', async () => {
    const labels = { method: 'GET', route: '/api/v1/accounts/:id', status: '200' };
    const account = await createTestConnectedAccount(ctx, platform);
    const before = sampleOf(await scrape(), 'pik_http_requests_total', labels) ?? 0;
    const observedBefore = histogramCount(lastText, 'pik_http_request_duration_seconds', { method: 'GET', route: '/api/v1/accounts/:id' }) ?? 0;
    assert.equal((await ctx.call('GET', `/api/v1/accounts/${account}`, { key: platform.keys.sandbox })).status, 200);
    const families = await scrape();
    assert.equal(sampleOf(families, 'pik_http_requests_total', labels), before + 1);
    assert.equal(histogramCount(lastText, 'pik_http_request_duration_seconds', { method: 'GET', route: '/api/v1/accounts/:id' }), observedBefore + 1, 'a latency observation');
    const latency = families.find((f) => f.name === 'pik_http_request_duration_seconds');
    assert.equal(latency?.type, 'HISTOGRAM');
    // Never the raw URL: no series names an id.
    const requests = families.find((f) => f.name === 'pik_http_requests_total');
    assert.ok(requests?.metrics.every((m) => !/acct_|key_/.test(m.labels?.route ?? '')), 'route labels are patterns');
  });

  it('an unknown URL counts as "unmatched", not under its path', async () => {
    await ctx.call('GET', '/api/v1/no-such-thing/acct_01m8g4v2amhzvvtznqxqww9kqs', { key: platform.keys.sandbox });
    assert.ok((sampleOf(await scrape(), 'pik_http_requests_total', { route: 'unmatched', status: '404' }) ?? 0) >= 1);
  });

  it('counts authentication failures by code, and rate-limit rejections by group', async () => {
    const families0 = await scrape();
    const invalid0 = sampleOf(families0, 'pik_authentication_failures_total', { code: 'INVALID_API_KEY' }) ?? 0;
    const missing0 = sampleOf(families0, 'pik_authentication_failures_total', { code: 'API_KEY_MISSING' }) ?? 0;
    await ctx.call('GET', '/api/v1/account', { key: 'pik_test_nonsense', remoteAddress: '10.9.8.7' });
    await ctx.call('GET', '/api/v1/account', { remoteAddress: '10.9.8.7' });
    const limited = await createTestPlatform(ctx);
    await ctx.admin('PUT', `/admin/v1/platforms/${limited.id}/rate-limits`, { limits: { general: 1 } });
    await ctx.call('GET', '/api/v1/account', { key: limited.keys.sandbox });
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: limited.keys.sandbox })).status, 429);
    const families = await scrape();
    assert.equal(sampleOf(families, 'pik_authentication_failures_total', { code: 'INVALID_API_KEY' }), invalid0 + 1);
    assert.equal(sampleOf(families, 'pik_authentication_failures_total', { code: 'API_KEY_MISSING' }), missing0 + 1);
    assert.ok((sampleOf(families, 'pik_rate_limit_rejections_total', { group: 'general' }) ?? 0) >= 1);
  });

  it('counts committed ledger movements by type; a refused one does not count', async () => {
    const account = await createTestConnectedAccount(ctx, platform);
    const before = sampleOf(await scrape(), 'pik_ledger_movements_total', { type: 'transfer' }) ?? 0;
    const body = { destination_account_id: account, currency: 'AUD', amount: '5.00' };
    assert.equal((await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body })).status, 201);
    assert.equal((await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { ...body, amount: '99999999.00' } })).status, 422);
    assert.equal(sampleOf(await scrape(), 'pik_ledger_movements_total', { type: 'transfer' }), before + 1);
  });

  it('shows the webhook queue per environment, the pool, the event loop lag, and the delivery latency histogram', async () => {
    const families = await scrape();
    for (const environment of ['sandbox', 'production']) assert.equal(typeof sampleOf(families, 'pik_webhook_queue_depth', { environment }), 'number');
    for (const state of ['in_use', 'idle', 'waiting']) assert.ok((sampleOf(families, 'pik_db_pool_connections', { pool: 'requests', state }) ?? -1) >= 0, state);
    assert.ok((sampleOf(families, 'nodejs_eventloop_lag_seconds') ?? -1) >= 0);
    assert.equal(families.find((f) => f.name === 'pik_webhook_delivery_seconds')?.type, 'HISTOGRAM');
  });

  it('on PIK_METRICS_PORT: the same text without a token, and nothing else', async () => {
    const port = ctx.app.metricsPort;
    assert.ok(port !== undefined && port > 0);
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(response.status, 200);
    const families = parseMetrics(await response.text());
    assert.ok(families.some((f) => f.name === 'pik_http_requests_total'));
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/account`)).status, 404);
  });

  it('observes a webhook delivery: from the event to the receiver\'s 2xx, in the delivery latency histogram', async () => {
    const receiver = await startReceiver();
    const local = await startTestApp({ webhooks: { ...loadConfig({}).webhooks, allowSandboxLoopback: true, pollMs: 50 } });
    try {
      const p = await createTestPlatform(local);
      const created = await local.call('POST', '/api/v1/webhooks', { key: p.keys.sandbox, body: { url: receiver.url, events: ['account.created'] } });
      assert.equal(created.status, 201, created.raw);
      await createTestConnectedAccount(local, p);
      let count: number | undefined;
      for (let i = 0; i < 200 && !count; i++) {
        await sleep(50);
        const text = (await local.call('GET', '/metrics', { headers: { authorization: `Bearer ${local.operatorToken}` } })).raw;
        count = histogramCount(text, 'pik_webhook_delivery_seconds', { environment: 'sandbox' });
      }
      assert.equal(count, 1);
    } finally {
      await local.close();
      await receiver.close();
    }
  });
});
