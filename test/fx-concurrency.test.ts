// FX under concurrency on real PostgreSQL: a quote converts once however many conversions race for it, and
// conversions racing transfers and payouts out of one wallet never overdraw it. Then the ledger's invariants.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { needsPostgres } from './support/database.ts';
import { approveAccount, bankDestination, checkLedgerInvariants } from './support/ledger.ts';
import { describeOrSkip } from './support/skip.ts';

describeOrSkip(needsPostgres, 'FX under concurrency (PostgreSQL)', () => {
  let ctx: TestContext;
  let platform: TestPlatform;

  before(async () => {
    ctx = await startTestApp();
    platform = await createTestPlatform(ctx);
  });
  after(() => ctx?.close());

  const post = (url: string, body: unknown, onBehalfOf?: string) =>
    ctx.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${platform.keys.sandbox}`, ...(onBehalfOf ? { 'x-on-behalf-of': onBehalfOf } : {}) },
      payload: body as object,
    });

  async function fundedAccount(aud: string): Promise<string> {
    const account = await createTestConnectedAccount(ctx, platform);
    await approveAccount(ctx, 'sandbox', account);
    const funded = await post('/api/v1/transfers', { destination_account_id: account, currency: 'AUD', amount: aud });
    assert.equal(funded.statusCode, 201, funded.body);
    return account;
  }

  it('20 concurrent conversions with one quote: exactly one converts, the others are 422 QUOTE_ALREADY_USED', async () => {
    const account = await fundedAccount('1000.00');
    for (let round = 0; round < 3; round++) {
      const quote = await post('/api/v1/fx/quotes', { sell_currency: 'AUD', buy_currency: 'USDC', sell_amount: '25.00' }, account);
      assert.equal(quote.statusCode, 201, quote.body);
      const { id } = JSON.parse(quote.body) as { id: string };
      const body = { sell_currency: 'AUD', buy_currency: 'USDC', sell_amount: '25.00', conversion_type: 'quote', quote_id: id };
      const results = await Promise.all(Array.from({ length: 20 }, () => post('/api/v1/fx/conversions', body, account)));
      const statuses = results.map((r) => (r.statusCode === 201 ? '201' : (JSON.parse(r.body) as { error: { code: string } }).error.code));
      assert.equal(statuses.filter((s) => s === '201').length, 1, statuses.join(','));
      assert.equal(statuses.filter((s) => s === 'QUOTE_ALREADY_USED').length, 19, statuses.join(','));
    }
    const balances = await ctx.app.inject({ method: 'GET', url: `/api/v1/accounts/${account}/wallet/balances`, headers: { authorization: `Bearer ${platform.keys.sandbox}` } });
    const aud = (JSON.parse(balances.body).data as { currency: string; available: string }[]).find((b) => b.currency === 'AUD');
    assert.equal(aud?.available, '925.00', 'three quotes, three conversions of 25.00');
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('conversions racing transfers and payouts out of one wallet never overdraw it', async () => {
    const account = await fundedAccount('100.00');
    const ops = Array.from({ length: 60 }, (_, i) => {
      if (i % 3 === 0) return () => post('/api/v1/fx/conversions', { sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '5.00', conversion_type: 'rate' }, account);
      if (i % 3 === 1) return () => post('/api/v1/transfers', { source_account_id: account, destination_account_id: platform.id, currency: 'AUD', amount: '5.00' });
      return () => post('/api/v1/payouts', { currency: 'AUD', amount: '5.00', destination_type: 'bank_account', destination: bankDestination }, account);
    });
    const results = await Promise.all(ops.map((op) => op()));
    const outcomes = new Map<string, number>();
    for (const r of results) {
      assert.ok(r.statusCode === 201 || r.statusCode === 422, `${r.statusCode} ${r.body}`);
      const code = r.statusCode === 201 ? '201' : (JSON.parse(r.body) as { error: { code: string } }).error.code;
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(outcomes), { '201': 20, INSUFFICIENT_BALANCE: 40 }, 'exactly 100.00 / 5.00 movements fit');
    const balances = await ctx.app.inject({ method: 'GET', url: `/api/v1/accounts/${account}/wallet/balances`, headers: { authorization: `Bearer ${platform.keys.sandbox}` } });
    const aud = (JSON.parse(balances.body).data as { currency: string; available: string }[]).find((b) => b.currency === 'AUD');
    assert.equal(aud?.available, '0.00');
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });
});
