// Spec §5 FX, issue 11: indicative rates (direct, inverted, crossed through USD), the operator's rate table and its
// staleness, locked single-use quotes that expire on a clock the test moves, and their error codes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { expectError } from './support/fx.ts';
import { approveAccount } from './support/ledger.ts';

let ctx: TestContext;
let platform: TestPlatform;
let clock = Date.parse('2026-03-02T10:00:00.000Z');
const advance = (ms: number) => {
  clock += ms;
};

before(async () => {
  ctx = await startTestApp({}, { now: () => new Date(clock) });
  platform = await createTestPlatform(ctx);
});
after(() => ctx.close());

const rates = (query: string, key = platform.keys.sandbox, onBehalfOf?: string) => ctx.call('GET', `/api/v1/fx/rates?${query}`, { key, onBehalfOf });
const quote = (body: unknown, key = platform.keys.sandbox, onBehalfOf?: string) => ctx.call('POST', '/api/v1/fx/quotes', { key, onBehalfOf, body });

describe('GET /api/v1/fx/rates (sandbox seeded table)', () => {
  it('200: a direct pair is the mid less the spread, rounded down to 10 places; as_of is now for seeded rates', async () => {
    const aud = await rates('sell_currency=AUD&buy_currency=USD');
    assert.equal(aud.status, 200, aud.raw);
    // seed AUD/USD mid 0.65, 30 bps: 0.65 × 0.997
    assert.deepEqual(aud.body, { object: 'fx_rate', sell_currency: 'AUD', buy_currency: 'USD', rate: '0.64805', as_of: new Date(clock).toISOString(), sell_amount: null, buy_amount: null });
    // the other direction: (1 / 0.65) × 0.997 = 1.53384615384…, down to 10 places
    assert.equal((await rates('sell_currency=USD&buy_currency=AUD')).body.rate, '1.5338461538');
  });

  it('200: a pair without a direct rate is crossed through USD exactly, one rounding at the end', async () => {
    // AUD→USD 0.65 × 0.997, USD→HKD 7.8 × 0.997: 5.03962563 exactly
    assert.equal((await rates('sell_currency=AUD&buy_currency=HKD')).body.rate, '5.03962563');
    // USDT→USD 1 × 0.999, USD→USDC (1/1) × 0.999 = 0.998001
    assert.equal((await rates('sell_currency=USDT&buy_currency=USDC')).body.rate, '0.998001');
  });

  it('200 with an amount: the buy side rounded down, or the sell side rounded up (in PIK\u2019s favour)', async () => {
    const sell = await rates('sell_currency=AUD&buy_currency=USD&sell_amount=100.00');
    assert.deepEqual([sell.body.sell_amount, sell.body.buy_amount], ['100.00', '64.80']); // 64.805 → 64.80
    const buy = await rates('sell_currency=AUD&buy_currency=USD&buy_amount=64.81');
    assert.deepEqual([buy.body.sell_amount, buy.body.buy_amount], ['100.01', '64.81']); // 100.0077… → 100.01
    const usdt = await rates('sell_currency=USD&buy_currency=USDT&sell_amount=10.00');
    assert.equal(usdt.body.buy_amount, '9.990000');
  });

  it('400 UNSUPPORTED_CURRENCY_PAIR for the same currency, an unknown one or lower case', async () => {
    for (const [query, field] of [
      ['sell_currency=AUD&buy_currency=AUD', 'buy_currency'],
      ['sell_currency=EUR&buy_currency=USD', 'sell_currency'],
      ['sell_currency=AUD&buy_currency=CNY', 'buy_currency'],
      ['sell_currency=aud&buy_currency=USD', 'sell_currency'],
    ] as const) {
      const result = await rates(query);
      expectError(result, 400, 'UNSUPPORTED_CURRENCY_PAIR', field);
      assert.deepEqual(result.body.error.detail.supported, ['AUD', 'USD', 'HKD', 'SGD', 'USDT', 'USDC']);
    }
  });

  it('400 naming the field: a missing currency, both amounts, a bad amount, an unknown parameter', async () => {
    expectError(await rates('buy_currency=USD'), 400, 'INVALID_REQUEST', 'sell_currency');
    expectError(await rates('sell_currency=AUD'), 400, 'INVALID_REQUEST', 'buy_currency');
    expectError(await rates('sell_currency=AUD&buy_currency=USD&sell_amount=1.00&buy_amount=1.00'), 400, 'INVALID_REQUEST', 'buy_amount');
    expectError(await rates('sell_currency=AUD&buy_currency=USD&sell_amount=1.001'), 400, 'INVALID_AMOUNT', 'sell_amount');
    expectError(await rates('sell_currency=AUD&buy_currency=USD&buy_amount=-1'), 400, 'INVALID_AMOUNT', 'buy_amount');
    expectError(await rates('sell_currency=AUD&buy_currency=USD&amount=1'), 400, 'INVALID_REQUEST', 'amount');
  });

  it('422 BELOW_MINIMUM_AMOUNT / ABOVE_MAXIMUM_AMOUNT with the currency\u2019s limits in detail', async () => {
    const low = await rates('sell_currency=AUD&buy_currency=USD&sell_amount=0.99');
    expectError(low, 422, 'BELOW_MINIMUM_AMOUNT', 'sell_amount');
    assert.deepEqual(low.body.error.detail, { field: 'sell_amount', currency: 'AUD', amount: '0.99', minimum: '1.00', maximum: '1000000.00' });
    // 1.50 AUD buys 0.97 USD: the buy side is under USD's minimum
    expectError(await rates('sell_currency=AUD&buy_currency=USD&sell_amount=1.50'), 422, 'BELOW_MINIMUM_AMOUNT', 'buy_amount');
    const high = await rates('sell_currency=HKD&buy_currency=USD&sell_amount=10000000.01');
    expectError(high, 422, 'ABOVE_MAXIMUM_AMOUNT', 'sell_amount');
    assert.equal(high.body.error.detail.maximum, '10000000.00');
  });
});

describe('the operator\u2019s rate table (production) and stale rates', () => {
  before(async () => {
    const enabled = await ctx.admin('POST', `/admin/v1/platforms/${platform.id}/capabilities/fx_conversion`, { environment: 'production' });
    assert.equal(enabled.status, 200, enabled.raw);
  });

  it('503 RATES_UNAVAILABLE with Retry-After while production has no rate', async () => {
    const result = await rates('sell_currency=AUD&buy_currency=USD', platform.keys.production);
    expectError(result, 503, 'RATES_UNAVAILABLE');
    assert.equal(result.headers['retry-after'], '60');
    assert.deepEqual(result.body.error.detail, { sell_currency: 'AUD', buy_currency: 'USD', reason: 'missing', as_of: null });
    const listed = await ctx.admin('GET', '/admin/v1/fx/rates?environment=production');
    assert.deepEqual(listed.body, { environment: 'production', object: 'list', data: [], has_more: false, next_cursor: null });
  });

  it('a rate set by the operator prices at once, in both directions; a cross needs both legs; it goes stale after PIK_FX_MAX_RATE_AGE', async () => {
    const set = await ctx.admin('PUT', '/admin/v1/fx/rates', { environment: 'production', pair: 'AUD/USD', mid: '0.6512', spread_bps: 30 });
    assert.equal(set.status, 200, set.raw);
    assert.deepEqual(set.body, { pair: 'AUD/USD', base: 'AUD', quote: 'USD', mid: '0.6512', spread_bps: 30, as_of: new Date(clock).toISOString(), pinned: false, set_by: 'operator' });
    const setAt = new Date(clock).toISOString();
    assert.equal((await rates('sell_currency=AUD&buy_currency=USD', platform.keys.production)).body.rate, '0.6492464');
    assert.equal((await rates('sell_currency=USD&buy_currency=AUD', platform.keys.production)).body.rate, '1.531019656');
    // AUD→HKD needs USD/HKD too
    expectError(await rates('sell_currency=AUD&buy_currency=HKD', platform.keys.production), 503, 'RATES_UNAVAILABLE');
    advance(60_000);
    assert.equal((await ctx.admin('PUT', '/admin/v1/fx/rates', { environment: 'production', pair: 'HKD/USD', mid: '0.128', spread_bps: 0 })).status, 200);
    const crossed = await rates('sell_currency=AUD&buy_currency=HKD', platform.keys.production);
    assert.equal(crossed.status, 200, crossed.raw);
    assert.equal(crossed.body.as_of, setAt, 'a crossed rate is as old as its oldest leg');
    // the sandbox table is separate
    assert.equal((await rates('sell_currency=AUD&buy_currency=USD')).body.rate, '0.64805');

    advance(24 * 3_600_000 - 60_000);
    assert.equal((await rates('sell_currency=AUD&buy_currency=USD', platform.keys.production)).status, 200, 'exactly 24 h old is still current');
    advance(1);
    const stale = await rates('sell_currency=AUD&buy_currency=USD', platform.keys.production);
    expectError(stale, 503, 'RATES_UNAVAILABLE');
    assert.equal(stale.body.error.detail.reason, 'stale');
    assert.equal(stale.headers['retry-after'], '60');
    // seeded sandbox rates are pinned: they never go stale
    assert.equal((await rates('sell_currency=AUD&buy_currency=USD')).status, 200);
    // setting the pair the other way round replaces it, dated now
    assert.equal((await ctx.admin('PUT', '/admin/v1/fx/rates', { environment: 'production', pair: 'USD/AUD', mid: '1.5', spread_bps: 0 })).status, 200);
    assert.equal((await rates('sell_currency=AUD&buy_currency=USD', platform.keys.production)).body.rate, '0.6666666666');
    const listed = await ctx.admin('GET', '/admin/v1/fx/rates?environment=production');
    assert.deepEqual(listed.body.data.map((r: { pair: string }) => r.pair), ['HKD/USD', 'USD/AUD']);
  });

  it('the operator\u2019s input is checked field by field', async () => {
    const put = (body: Record<string, unknown>) => ctx.admin('PUT', '/admin/v1/fx/rates', { environment: 'production', pair: 'AUD/USD', mid: '0.65', spread_bps: 30, ...body });
    expectError(await put({ pair: 'AUDUSD' }), 400, 'INVALID_REQUEST', 'pair');
    expectError(await put({ pair: 'AUD/AUD' }), 400, 'UNSUPPORTED_CURRENCY_PAIR');
    expectError(await put({ pair: 'AUD/EUR' }), 400, 'UNSUPPORTED_CURRENCY_PAIR');
    for (const mid of ['0', '-1', '1e3', '0.6512345678901', '2000000', 'abc']) expectError(await put({ mid }), 400, 'INVALID_REQUEST', 'mid');
    for (const spread of [-1, 1001, 2.5, '30']) expectError(await put({ spread_bps: spread }), 400, 'INVALID_REQUEST', 'spread_bps');
    expectError(await put({ environment: 'staging' }), 400, 'INVALID_REQUEST', 'environment');
  });
});

describe('POST /api/v1/fx/quotes', () => {
  it('201: a qt_ quote with the rate, both amounts and expires_at = now + PIK_FX_QUOTE_TTL_SECONDS; readable by its account only', async () => {
    const created = await quote({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '100.00' });
    assert.equal(created.status, 201, created.raw);
    assert.match(created.body.id, /^qt_[0-9a-z]{26}$/);
    const { id, created_at: createdAt, ...rest } = created.body;
    assert.equal(createdAt, new Date(clock).toISOString());
    assert.deepEqual(rest, {
      object: 'fx_quote',
      account_id: platform.id,
      sell_currency: 'AUD',
      buy_currency: 'USD',
      rate: '0.64805',
      sell_amount: '100.00',
      buy_amount: '64.80',
      fixed_side: 'sell',
      expires_at: new Date(clock + 30_000).toISOString(),
      status: 'active',
      conversion_id: null,
    });
    const read = await ctx.call('GET', `/api/v1/fx/quotes/${id}`, { key: platform.keys.sandbox });
    assert.equal(read.body.status, 'active');
    advance(30_000);
    assert.equal((await ctx.call('GET', `/api/v1/fx/quotes/${id}`, { key: platform.keys.sandbox })).body.status, 'expired');

    const account = await createTestConnectedAccount(ctx, platform);
    await approveAccount(ctx, 'sandbox', account);
    expectError(await ctx.call('GET', `/api/v1/fx/quotes/${id}`, { key: platform.keys.sandbox, onBehalfOf: account }), 404, 'QUOTE_NOT_FOUND');
    const other = await createTestPlatform(ctx);
    expectError(await ctx.call('GET', `/api/v1/fx/quotes/${id}`, { key: other.keys.sandbox }), 404, 'QUOTE_NOT_FOUND');
    expectError(await ctx.call('GET', `/api/v1/fx/quotes/${id}`, { key: platform.keys.production }), 404, 'QUOTE_NOT_FOUND');
  });

  it('a buy-side quote fixes the buy amount and rounds the sell amount up', async () => {
    const created = await quote({ sell_currency: 'USDT', buy_currency: 'AUD', buy_amount: '1000.00' });
    assert.equal(created.status, 201, created.raw);
    assert.equal(created.body.fixed_side, 'buy');
    assert.equal(created.body.buy_amount, '1000.00');
    // USDT→USD 0.999, USD→AUD (1/0.65)·0.997: rate 1.5323123076 (rounded down); 1000 / rate rounded up to 6 places
    assert.equal(created.body.rate, '1.5323123076');
    assert.equal(created.body.sell_amount, '652.608477');
  });

  it('400 on every field: neither or both amounts, bad amounts, bad or same currencies, unknown fields, not JSON', async () => {
    expectError(await quote({ sell_currency: 'AUD', buy_currency: 'USD' }), 400, 'INVALID_REQUEST', 'sell_amount');
    expectError(await quote({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00', buy_amount: '5.00' }), 400, 'INVALID_REQUEST', 'buy_amount');
    expectError(await quote({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: 10 }), 400, 'INVALID_AMOUNT', 'sell_amount');
    expectError(await quote({ sell_currency: 'AUD', buy_currency: 'USD', buy_amount: '1.001' }), 400, 'INVALID_AMOUNT', 'buy_amount');
    expectError(await quote({ sell_currency: 'AUD', buy_currency: 'AUD', sell_amount: '10.00' }), 400, 'UNSUPPORTED_CURRENCY_PAIR', 'buy_currency');
    expectError(await quote({ sell_currency: 7, buy_currency: 'USD', sell_amount: '10.00' }), 400, 'UNSUPPORTED_CURRENCY_PAIR', 'sell_currency');
    expectError(await quote({ buy_currency: 'USD', sell_amount: '10.00' }), 400, 'INVALID_REQUEST', 'sell_currency');
    expectError(await quote({ sell_currency: 'AUD', sell_amount: '10.00' }), 400, 'INVALID_REQUEST', 'buy_currency');
    expectError(await quote({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00', rate: '1' }), 400, 'INVALID_REQUEST', 'rate');
    expectError(await ctx.call('POST', '/api/v1/fx/quotes', { key: platform.keys.sandbox, body: '{"sell_currency":', headers: { 'content-type': 'application/json' } }), 400, 'INVALID_JSON');
  });

  it('422 BELOW_MINIMUM_AMOUNT / ABOVE_MAXIMUM_AMOUNT; 503 RATES_UNAVAILABLE', async () => {
    expectError(await quote({ sell_currency: 'USDC', buy_currency: 'USD', sell_amount: '0.999999' }), 422, 'BELOW_MINIMUM_AMOUNT', 'sell_amount');
    expectError(await quote({ sell_currency: 'AUD', buy_currency: 'USDC', buy_amount: '1000000.000001' }), 422, 'ABOVE_MAXIMUM_AMOUNT', 'buy_amount');
    expectError(await quote({ sell_currency: 'SGD', buy_currency: 'USD', sell_amount: '10.00' }, platform.keys.production), 503, 'RATES_UNAVAILABLE');
  });

  it('Idempotency-Key: the same request replays the same quote', async () => {
    const headers = { 'idempotency-key': `quote-${clock}` };
    const body = { sell_currency: 'SGD', buy_currency: 'HKD', sell_amount: '50.00' };
    const first = await ctx.call('POST', '/api/v1/fx/quotes', { key: platform.keys.sandbox, body, headers });
    const again = await ctx.call('POST', '/api/v1/fx/quotes', { key: platform.keys.sandbox, body, headers });
    assert.equal(first.status, 201, first.raw);
    assert.equal(again.raw, first.raw);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    expectError(await ctx.call('POST', '/api/v1/fx/quotes', { key: platform.keys.sandbox, body: { ...body, sell_amount: '51.00' }, headers }), 422, 'IDEMPOTENCY_KEY_REUSED');
  });
});

describe('the OpenAPI document', () => {
  it('every FX operation, its full schemas and every error it can answer, by status', async () => {
    const doc = (await ctx.call('GET', '/api/v1/openapi.json')).body;
    // Each error response names its codes (src/http/contract.ts); x-error-codes lists them all.
    const codes = (path: string, method: string, status: string): string[] => {
      const named = [...(doc.paths[path][method].responses[status]?.description ?? '').matchAll(/`([A-Z_]+)`/g)].map((m) => m[1] as string);
      for (const code of named) assert.ok(doc.paths[path][method]['x-error-codes'].includes(code), `${method} ${path}: ${code}`);
      return named;
    };
    const conversions = '/api/v1/fx/conversions';
    assert.deepEqual(Object.keys(doc.paths[conversions].post.responses).sort(), ['201', '400', '401', '403', '404', '409', '413', '415', '422', '429', '500', '503']);
    for (const code of ['QUOTE_EXPIRED', 'QUOTE_ALREADY_USED', 'INSUFFICIENT_BALANCE', 'BELOW_MINIMUM_AMOUNT', 'ABOVE_MAXIMUM_AMOUNT']) assert.ok(codes(conversions, 'post', '422').includes(code), code);
    for (const code of ['QUOTE_MISMATCH', 'UNSUPPORTED_CURRENCY_PAIR', 'INVALID_AMOUNT']) assert.ok(codes(conversions, 'post', '400').includes(code), code);
    assert.ok(codes(conversions, 'post', '409').includes('DUPLICATE_REFERENCE'));
    assert.ok(codes(conversions, 'post', '404').includes('QUOTE_NOT_FOUND'));
    for (const [path, method] of [['/api/v1/fx/rates', 'get'], ['/api/v1/fx/quotes', 'post'], [conversions, 'post']] as const) {
      assert.deepEqual(codes(path, method, '503').sort(), ['RATES_UNAVAILABLE', 'SERVICE_UNAVAILABLE'], `${method} ${path}`);
      assert.ok(codes(path, method, '403').includes('CAPABILITY_NOT_ACTIVATED'));
      assert.match(doc.paths[path][method].description, /Needs the `fx_conversion` capability/);
    }
    const conversion = doc.paths[conversions].post.responses['201'].content['application/json'].schema;
    assert.deepEqual(conversion.required.sort(), ['account_id', 'buy_amount', 'buy_currency', 'conversion_type', 'created_at', 'id', 'object', 'quote_id', 'rate', 'reference', 'sell_amount', 'sell_currency', 'status'].sort());
    const body = doc.paths[conversions].post.requestBody.content['application/json'].schema;
    assert.deepEqual(body.properties.sell_currency.enum, ['AUD', 'USD', 'HKD', 'SGD', 'USDT', 'USDC']);
    assert.deepEqual(body.required.sort(), ['buy_currency', 'conversion_type', 'sell_currency']);
    assert.ok(doc.webhooks['conversion.completed'], 'the webhooks section has conversion.completed');
  });
});
