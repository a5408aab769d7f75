// Spec §5 FX, issue 11: conversions at the rate or at a quote — one movement between the wallet and PIK's FX position,
// two fx_conversion transactions, conversion.completed — and every error code, with quote expiry on a moved clock.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { expectError } from './support/fx.ts';
import { approveAccount, checkLedgerInvariants } from './support/ledger.ts';

let ctx: TestContext;
let platform: TestPlatform;
let account: string;
let clock = Date.parse('2026-03-02T10:00:00.000Z');

before(async () => {
  ctx = await startTestApp({}, { now: () => new Date(clock) });
  platform = await createTestPlatform(ctx);
  account = await createTestConnectedAccount(ctx, platform);
  await approveAccount(ctx, 'sandbox', account);
  const funded = await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { destination_account_id: account, currency: 'AUD', amount: '500.00' } });
  assert.equal(funded.status, 201, funded.raw);
});
after(() => ctx.close());

const convert = (body: Record<string, unknown>, options: { onBehalfOf?: string; key?: string; headers?: Record<string, string> } = {}) =>
  ctx.call('POST', '/api/v1/fx/conversions', { key: options.key ?? platform.keys.sandbox, onBehalfOf: options.onBehalfOf, headers: options.headers, body });
const quoteFor = async (body: Record<string, unknown>, onBehalfOf?: string) => {
  const created = await ctx.call('POST', '/api/v1/fx/quotes', { key: platform.keys.sandbox, onBehalfOf, body });
  assert.equal(created.status, 201, created.raw);
  return created.body as { id: string; sell_amount: string; buy_amount: string; rate: string };
};
const balance = async (accountId: string, currency: string) => {
  const result = await ctx.call('GET', `/api/v1/accounts/${accountId}/wallet/balances`, { key: platform.keys.sandbox });
  return (result.body.data as { currency: string; available: string }[]).find((b) => b.currency === currency)?.available;
};

describe('POST /api/v1/fx/conversions', () => {
  it('201 at the rate, x-on-behalf-of: the wallet sells and buys, two fx_conversion transactions, the event, the FX position', async () => {
    const result = await convert({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '100.00', conversion_type: 'rate', reference: 'fx-1' }, { onBehalfOf: account });
    assert.equal(result.status, 201, result.raw);
    const { id, created_at: createdAt, ...rest } = result.body;
    assert.match(id, /^conv_[0-9a-z]{26}$/);
    assert.equal(createdAt, new Date(clock).toISOString());
    assert.deepEqual(rest, {
      object: 'fx_conversion',
      account_id: account,
      status: 'converted',
      conversion_type: 'rate',
      sell_currency: 'AUD',
      buy_currency: 'USD',
      rate: '0.64805',
      sell_amount: '100.00',
      buy_amount: '64.80',
      quote_id: null,
      reference: 'fx-1',
    });
    assert.equal(await balance(account, 'AUD'), '400.00');
    assert.equal(await balance(account, 'USD'), '64.80');

    const history = await ctx.call('GET', `/api/v1/accounts/${account}/transactions?type=fx_conversion`, { key: platform.keys.sandbox });
    assert.deepEqual(
      history.body.data.map((t: { currency: string; amount: string; source_id: string; status: string }) => [t.currency, t.amount, t.source_id, t.status]),
      [
        ['USD', '64.80', id, 'settled'],
        ['AUD', '-100.00', id, 'settled'],
      ],
    );
    assert.deepEqual(history.body.data[0].counterparty, { type: 'fx_conversion', conversion_id: id, sell_currency: 'AUD', buy_currency: 'USD', rate: '0.64805' });

    const events = await ctx.call('GET', '/api/v1/events?type=conversion.completed', { key: platform.keys.sandbox });
    const event = events.body.data.find((e: { data: { id: string } }) => e.data.id === id);
    assert.ok(event, events.raw);
    assert.deepEqual(event.data, { id, account_id: account, sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '100.00', buy_amount: '64.80', rate: '0.64805', conversion_type: 'rate', quote_id: null, reference: 'fx-1' });

    const read = await ctx.call('GET', `/api/v1/fx/conversions/${id}`, { key: platform.keys.sandbox, onBehalfOf: account });
    assert.equal(read.raw, result.raw);
    assert.equal((await ctx.call('GET', `/api/v1/fx/conversions/${id}`, { key: platform.keys.sandbox })).status, 200, 'the platform reads its accounts\u2019 conversions');
    const positions = await ctx.admin('GET', '/admin/v1/fx/positions?environment=sandbox');
    const position = (c: string) => positions.body.data.find((p: { currency: string }) => p.currency === c)?.position;
    assert.ok(Number(position('AUD')) >= 100 && Number(position('USD')) <= -64.8, positions.raw);
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('201 at a quote: the quote\u2019s rate and amounts; the quote is then used (422 QUOTE_ALREADY_USED)', async () => {
    const q = await quoteFor({ sell_currency: 'AUD', buy_currency: 'USDT', buy_amount: '10.000000' }, account);
    clock += 29_999;
    const body = { sell_currency: 'AUD', buy_currency: 'USDT', buy_amount: '10.000000', conversion_type: 'quote', quote_id: q.id };
    const result = await convert(body, { onBehalfOf: account });
    assert.equal(result.status, 201, result.raw);
    assert.deepEqual([result.body.rate, result.body.sell_amount, result.body.buy_amount, result.body.quote_id], [q.rate, q.sell_amount, '10.000000', q.id]);
    const again = await convert(body, { onBehalfOf: account });
    expectError(again, 422, 'QUOTE_ALREADY_USED');
    assert.deepEqual(again.body.error.detail, { quote_id: q.id, conversion_id: result.body.id });
    const read = await ctx.call('GET', `/api/v1/fx/quotes/${q.id}`, { key: platform.keys.sandbox, onBehalfOf: account });
    assert.deepEqual([read.body.status, read.body.conversion_id], ['used', result.body.id]);
  });

  it('422 QUOTE_EXPIRED once the clock passes expires_at (nothing moves)', async () => {
    const q = await quoteFor({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00' }, account);
    clock += 30_000;
    const before = await balance(account, 'AUD');
    const result = await convert({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00', conversion_type: 'quote', quote_id: q.id }, { onBehalfOf: account });
    expectError(result, 422, 'QUOTE_EXPIRED');
    assert.equal(result.body.error.detail.quote_id, q.id);
    assert.equal(await balance(account, 'AUD'), before);
  });

  it('400 QUOTE_MISMATCH naming the field that disagrees with the quote; the quote stays usable', async () => {
    const q = await quoteFor({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '20.00' }, account);
    const base = { sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '20.00', conversion_type: 'quote', quote_id: q.id };
    expectError(await convert({ ...base, sell_currency: 'SGD' }, { onBehalfOf: account }), 400, 'QUOTE_MISMATCH', 'sell_currency');
    expectError(await convert({ ...base, buy_currency: 'HKD' }, { onBehalfOf: account }), 400, 'QUOTE_MISMATCH', 'buy_currency');
    expectError(await convert({ ...base, sell_amount: '20.01' }, { onBehalfOf: account }), 400, 'QUOTE_MISMATCH', 'sell_amount');
    const { sell_amount: _, ...withoutSell } = base;
    const mismatch = await convert({ ...withoutSell, buy_amount: '12.96' }, { onBehalfOf: account });
    expectError(mismatch, 400, 'QUOTE_MISMATCH', 'sell_amount');
    assert.equal(mismatch.body.error.detail.expected, '20.00');
    assert.equal((await convert(base, { onBehalfOf: account })).status, 201);
  });

  it('404 QUOTE_NOT_FOUND for another account\u2019s quote, the platform\u2019s from a connected account, or an unknown one', async () => {
    const platformQuote = await quoteFor({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00' });
    const body = { sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00', conversion_type: 'quote', quote_id: platformQuote.id };
    expectError(await convert(body, { onBehalfOf: account }), 404, 'QUOTE_NOT_FOUND');
    const other = await createTestPlatform(ctx);
    expectError(await convert(body, { key: other.keys.sandbox }), 404, 'QUOTE_NOT_FOUND');
    expectError(await convert({ ...body, quote_id: 'qt_01m8g5hycd5qba505sf93e83c5' }), 404, 'QUOTE_NOT_FOUND');
    assert.equal((await convert(body)).status, 201, 'the platform converts its own quote');
  });

  it('422 INSUFFICIENT_BALANCE, BELOW_MINIMUM_AMOUNT, ABOVE_MAXIMUM_AMOUNT; 409 DUPLICATE_REFERENCE (shared with transfers)', async () => {
    const empty = await createTestConnectedAccount(ctx, platform);
    await approveAccount(ctx, 'sandbox', empty);
    const refused = await convert({ sell_currency: 'USD', buy_currency: 'AUD', sell_amount: '5.00', conversion_type: 'rate' }, { onBehalfOf: empty });
    expectError(refused, 422, 'INSUFFICIENT_BALANCE');
    assert.deepEqual(refused.body.error.detail, { account_id: empty, currency: 'USD' });
    expectError(await convert({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '0.50', conversion_type: 'rate' }), 422, 'BELOW_MINIMUM_AMOUNT', 'sell_amount');
    const above = await convert({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '1000000.01', conversion_type: 'rate' });
    expectError(above, 422, 'ABOVE_MAXIMUM_AMOUNT', 'sell_amount');
    assert.deepEqual(above.body.error.detail, { field: 'sell_amount', currency: 'AUD', amount: '1000000.01', minimum: '1.00', maximum: '1000000.00' });

    const transfer = await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { destination_account_id: account, currency: 'AUD', amount: '1.00', reference: 'shared-ref' } });
    assert.equal(transfer.status, 201);
    const duplicate = await convert({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00', conversion_type: 'rate', reference: 'shared-ref' });
    expectError(duplicate, 409, 'DUPLICATE_REFERENCE', 'reference');
    const first = await convert({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00', conversion_type: 'rate', reference: 'conv-ref' });
    assert.equal(first.status, 201);
    expectError(await convert({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00', conversion_type: 'rate', reference: 'conv-ref' }), 409, 'DUPLICATE_REFERENCE');
  });

  it('503 RATES_UNAVAILABLE with Retry-After at the rate in an environment without rates', async () => {
    const enabled = await ctx.admin('POST', `/admin/v1/platforms/${platform.id}/capabilities/fx_conversion`, { environment: 'production' });
    assert.equal(enabled.status, 200, enabled.raw);
    const result = await convert({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00', conversion_type: 'rate' }, { key: platform.keys.production });
    expectError(result, 503, 'RATES_UNAVAILABLE');
    assert.equal(result.headers['retry-after'], '60');
  });

  it('Idempotency-Key: the same conversion replays and converts once; another body → 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const headers = { 'idempotency-key': `conv-${clock}` };
    const body = { sell_currency: 'AUD', buy_currency: 'HKD', sell_amount: '10.00', conversion_type: 'rate' };
    const before = await balance(account, 'AUD');
    const first = await convert(body, { onBehalfOf: account, headers });
    const again = await convert(body, { onBehalfOf: account, headers });
    assert.equal(first.status, 201, first.raw);
    assert.equal(again.raw, first.raw);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(Number(before) - Number(await balance(account, 'AUD')), 10);
    expectError(await convert({ ...body, sell_amount: '11.00' }, { onBehalfOf: account, headers }), 422, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('400 on every field, naming it', async () => {
    const base = { sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00', conversion_type: 'rate' };
    const cases: [Record<string, unknown>, string, string][] = [
      [{ ...base, conversion_type: undefined }, 'INVALID_REQUEST', 'conversion_type'],
      [{ ...base, conversion_type: 'spot' }, 'INVALID_REQUEST', 'conversion_type'],
      [{ ...base, conversion_type: 'quote' }, 'INVALID_REQUEST', 'quote_id'],
      [{ ...base, quote_id: 'qt_x' }, 'INVALID_REQUEST', 'quote_id'],
      [{ ...base, quote_id: 5 }, 'INVALID_REQUEST', 'quote_id'],
      [{ ...base, sell_amount: undefined }, 'INVALID_REQUEST', 'sell_amount'],
      [{ ...base, buy_amount: '1.00' }, 'INVALID_REQUEST', 'buy_amount'],
      [{ ...base, sell_amount: '1e3' }, 'INVALID_AMOUNT', 'sell_amount'],
      [{ ...base, sell_amount: undefined, buy_amount: '0' }, 'INVALID_AMOUNT', 'buy_amount'],
      [{ ...base, sell_currency: 'XAU' }, 'UNSUPPORTED_CURRENCY_PAIR', 'sell_currency'],
      [{ ...base, buy_currency: 'AUD' }, 'UNSUPPORTED_CURRENCY_PAIR', 'buy_currency'],
      [{ ...base, sell_currency: undefined }, 'INVALID_REQUEST', 'sell_currency'],
      [{ ...base, buy_currency: undefined }, 'INVALID_REQUEST', 'buy_currency'],
      [{ ...base, reference: '' }, 'INVALID_REQUEST', 'reference'],
      [{ ...base, reference: 'tab\there' }, 'INVALID_REQUEST', 'reference'],
      [{ ...base, reference: 7 }, 'INVALID_REQUEST', 'reference'],
      [{ ...base, fee: '1' }, 'INVALID_REQUEST', 'fee'],
    ];
    for (const [body, code, field] of cases) {
      const cleaned = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
      expectError(await convert(cleaned), 400, code, field);
    }
  });
});

describe('GET /api/v1/fx/conversions', () => {
  it('the account in scope\u2019s conversions, newest first, with cursor paging; another account\u2019s conversion is 404', async () => {
    const mine = await createTestConnectedAccount(ctx, platform);
    await approveAccount(ctx, 'sandbox', mine);
    assert.equal((await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { destination_account_id: mine, currency: 'USD', amount: '100.00' } })).status, 201);
    const ids: string[] = [];
    for (const amount of ['1.00', '2.00', '3.00']) {
      const result = await convert({ sell_currency: 'USD', buy_currency: 'SGD', sell_amount: amount, conversion_type: 'rate' }, { onBehalfOf: mine });
      assert.equal(result.status, 201, result.raw);
      ids.push(result.body.id);
    }
    const first = await ctx.call('GET', '/api/v1/fx/conversions?limit=2', { key: platform.keys.sandbox, onBehalfOf: mine });
    assert.deepEqual(first.body.data.map((c: { id: string }) => c.id), [ids[2], ids[1]]);
    const second = await ctx.call('GET', `/api/v1/fx/conversions?limit=2&cursor=${first.body.next_cursor}`, { key: platform.keys.sandbox, onBehalfOf: mine });
    assert.deepEqual(second.body.data.map((c: { id: string }) => c.id), [ids[0]]);
    assert.equal(second.body.next_cursor, null);
    expectError(await ctx.call('GET', '/api/v1/fx/conversions?cursor=bm9wZQ', { key: platform.keys.sandbox }), 400, 'INVALID_CURSOR');
    expectError(await ctx.call('GET', `/api/v1/fx/conversions/${ids[0]}`, { key: platform.keys.sandbox, onBehalfOf: account }), 404, 'CONVERSION_NOT_FOUND');
    const other = await createTestPlatform(ctx);
    expectError(await ctx.call('GET', `/api/v1/fx/conversions/${ids[0]}`, { key: other.keys.sandbox }), 404, 'CONVERSION_NOT_FOUND');
    expectError(await ctx.call('GET', `/api/v1/fx/conversions/${ids[0]}`, { key: platform.keys.production }), 404, 'CONVERSION_NOT_FOUND');
  });

  it('the ledger: a conversion is one movement of four entries, two per currency, each summing to zero', async () => {
    const rows = await sql<{ movement_id: string; n: number; currencies: number }>`
      select movement_id, count(*)::int as n, count(distinct currency)::int as currencies from sandbox.ledger_entries
      where movement_id like 'conv_%' group by movement_id`.execute(ctx.services.db.core);
    assert.ok(rows.rows.length > 3);
    for (const row of rows.rows) assert.deepEqual([row.n, row.currencies], [4, 2], row.movement_id);
    const fxRows = await sql<{ n: number }>`select count(*)::int as n from sandbox.ledger_balances where ledger_account like 'clearing:%'`.execute(ctx.services.db.core);
    assert.equal(fxRows.rows[0]?.n, 0, 'the FX position keeps no balance row');
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });
});
