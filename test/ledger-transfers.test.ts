// Spec §5: balances, transaction history, and transfers between a platform and its connected accounts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openPglite } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { clearingBalances } from '../src/domain/ledger/ledger.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext } from './support/context.ts';
import { checkLedgerInvariants } from './support/ledger.ts';
import { createSecurityFixture, type SecurityFixture } from './support/route-security.ts';

let ctx: TestContext;
let f: SecurityFixture;

before(async () => {
  ctx = await startTestApp();
  f = await createSecurityFixture(ctx);
});
after(() => ctx.close());

const balanceOf = async (key: string, accountId: string, currency: string) => {
  const result = await ctx.call('GET', `/api/v1/accounts/${accountId}/wallet/balances`, { key });
  assert.equal(result.status, 200, result.raw);
  return result.body.data.find((b: { currency: string }) => b.currency === currency) as { available: string; pending: string };
};

describe('balances', () => {
  it('a new sandbox platform starts with 100,000 of every currency; production and connected accounts start at zero', async () => {
    const platform = await createTestPlatform(ctx);
    const sandbox = await ctx.call('GET', `/api/v1/accounts/${platform.id}/wallet/balances`, { key: platform.keys.sandbox });
    assert.deepEqual(sandbox.body.data, [
      { currency: 'AUD', available: '100000.00', pending: '0.00' },
      { currency: 'USD', available: '100000.00', pending: '0.00' },
      { currency: 'HKD', available: '100000.00', pending: '0.00' },
      { currency: 'SGD', available: '100000.00', pending: '0.00' },
      { currency: 'USDT', available: '100000.000000', pending: '0.000000' },
      { currency: 'USDC', available: '100000.000000', pending: '0.000000' },
    ]);
    const production = await ctx.call('GET', `/api/v1/accounts/${platform.id}/wallet/balances`, { key: platform.keys.production });
    assert.ok(production.body.data.every((b: { available: string }) => /^0\.0+$/.test(b.available)));
    const account = await createTestConnectedAccount(ctx, platform);
    assert.deepEqual(await balanceOf(platform.keys.sandbox, account, 'AUD'), { currency: 'AUD', available: '0.00', pending: '0.00' });
    const history = await ctx.call('GET', `/api/v1/accounts/${platform.id}/transactions?currency=USDT`, { key: platform.keys.sandbox });
    assert.equal(history.body.data[0].reference, 'Sandbox starting balance');
    assert.equal(history.body.data[0].amount, '100000.000000');
  });

  it('with x-on-behalf-of a connected account reads its own wallet', async () => {
    const result = await ctx.call('GET', `/api/v1/accounts/${f.account}/wallet/balances`, { key: f.platform.keys.sandbox, onBehalfOf: f.account });
    assert.equal(result.status, 200);
    assert.equal(result.body.account_id, f.account);
  });
});

describe('POST /api/v1/transfers', () => {
  it('201: platform → connected → connected, one transfer_out and one transfer_in each, balances move, event recorded', async () => {
    const platform = await createTestPlatform(ctx);
    const a = await createTestConnectedAccount(ctx, platform);
    const b = await createTestConnectedAccount(ctx, platform);
    const key = platform.keys.sandbox;
    const first = await ctx.call('POST', '/api/v1/transfers', { key, body: { destination_account_id: a, currency: 'AUD', amount: '250.00', reference: 'fund-a' } });
    assert.equal(first.status, 201, first.raw);
    assert.match(first.body.id, /^tr_/);
    assert.equal(first.body.source_account_id, platform.id);
    assert.equal(first.body.amount, '250.00');
    const second = await ctx.call('POST', '/api/v1/transfers', { key, body: { source_account_id: a, destination_account_id: b, currency: 'AUD', amount: '0.01' } });
    assert.equal(second.status, 201, second.raw);
    assert.equal((await balanceOf(key, platform.id, 'AUD')).available, '99750.00');
    assert.equal((await balanceOf(key, a, 'AUD')).available, '249.99');
    assert.equal((await balanceOf(key, b, 'AUD')).available, '0.01');

    const history = await ctx.call('GET', `/api/v1/accounts/${a}/transactions`, { key });
    assert.deepEqual(
      history.body.data.map((t: { type: string; amount: string; net_amount: string; fee: string; status: string }) => [t.type, t.amount, t.net_amount, t.fee, t.status]),
      [
        ['transfer_out', '-0.01', '-0.01', '0.00', 'settled'],
        ['transfer_in', '250.00', '250.00', '0.00', 'settled'],
      ],
    );
    const t = history.body.data[1];
    for (const field of ['transaction_id', 'type', 'currency', 'amount', 'fee', 'net_amount', 'reference', 'status', 'counterparty', 'created_at']) assert.ok(field in t, field);
    assert.deepEqual(t.counterparty, { type: 'account', account_id: platform.id });
    assert.equal(t.source_id, first.body.id);
    const events = await ctx.services.db.env('sandbox').selectFrom('events').selectAll().where('platform_id', '=', platform.id).where('type', '=', 'transfer.completed').execute();
    assert.equal(events.length, 2);
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('422 INSUFFICIENT_BALANCE leaves nothing behind', async () => {
    const platform = await createTestPlatform(ctx);
    const a = await createTestConnectedAccount(ctx, platform);
    const result = await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { source_account_id: a, destination_account_id: platform.id, currency: 'USD', amount: '0.01' } });
    assert.equal(result.status, 422);
    assert.equal(result.body.error.code, 'INSUFFICIENT_BALANCE');
    const tooMuch = await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { destination_account_id: a, currency: 'USD', amount: '100000.01' } });
    assert.equal(tooMuch.body.error.code, 'INSUFFICIENT_BALANCE');
    const history = await ctx.call('GET', `/api/v1/accounts/${a}/transactions`, { key: platform.keys.sandbox });
    assert.deepEqual(history.body.data, []);
  });

  it('production starts at zero: the same transfer is refused there', async () => {
    const account = await createTestConnectedAccount(ctx, f.platform, 'production');
    const result = await ctx.call('POST', '/api/v1/transfers', { key: f.platform.keys.production, body: { destination_account_id: account, currency: 'AUD', amount: '1.00' } });
    assert.equal(result.status, 422);
    assert.equal(result.body.error.code, 'INSUFFICIENT_BALANCE');
  });

  it("404 ACCOUNT_NOT_FOUND for another platform's account, the other environment's, or an unknown id, on either side", async () => {
    const key = f.platform.keys.sandbox;
    for (const body of [
      { destination_account_id: f.foreignAccount },
      { destination_account_id: f.productionAccount },
      { destination_account_id: 'acct_nope' },
      { source_account_id: f.foreignAccount, destination_account_id: f.account },
      { source_account_id: f.other.id, destination_account_id: f.account },
    ]) {
      const result = await ctx.call('POST', '/api/v1/transfers', { key, body: { ...body, currency: 'AUD', amount: '1.00' } });
      assert.equal(result.status, 404, JSON.stringify(body));
      assert.equal(result.body.error.code, 'ACCOUNT_NOT_FOUND');
    }
  });

  it('409 DUPLICATE_REFERENCE for a second transfer with the same reference from the same account, forever', async () => {
    const key = f.platform.keys.sandbox;
    const body = { destination_account_id: f.account, currency: 'AUD', amount: '1.00', reference: `inv-${Date.now()}` };
    assert.equal((await ctx.call('POST', '/api/v1/transfers', { key, body })).status, 201);
    const again = await ctx.call('POST', '/api/v1/transfers', { key, body: { ...body, amount: '2.00' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'DUPLICATE_REFERENCE');
  });

  it('400 for bad amounts, currencies and fields', async () => {
    const key = f.platform.keys.sandbox;
    const cases: [Record<string, unknown>, string][] = [
      [{ amount: 1 }, 'INVALID_AMOUNT'],
      [{ amount: '1.001' }, 'INVALID_AMOUNT'],
      [{ amount: '0.00' }, 'INVALID_AMOUNT'],
      [{ amount: '-5.00' }, 'INVALID_AMOUNT'],
      [{ amount: '1e2' }, 'INVALID_AMOUNT'],
      [{ amount: '1000000000000.00' }, 'INVALID_AMOUNT'],
      [{ amount: null }, 'INVALID_AMOUNT'],
      [{ currency: 'EUR' }, 'UNSUPPORTED_CURRENCY'],
      [{ currency: 'CNY' }, 'UNSUPPORTED_CURRENCY'],
      [{ currency: 1 }, 'UNSUPPORTED_CURRENCY'],
      [{ destination_account_id: f.platform.id }, 'INVALID_REQUEST'],
      [{ extra: 1 }, 'INVALID_REQUEST'],
    ];
    for (const [override, code] of cases) {
      const result = await ctx.call('POST', '/api/v1/transfers', { key, body: { destination_account_id: f.account, currency: 'AUD', amount: '1.00', ...override } });
      assert.equal(result.status, 400, JSON.stringify(override));
      assert.equal(result.body.error.code, code, JSON.stringify(override));
    }
    const noAmount = await ctx.call('POST', '/api/v1/transfers', { key, body: { destination_account_id: f.account, currency: 'AUD' } });
    assert.equal(noAmount.body.error.code, 'INVALID_REQUEST');
    assert.equal(noAmount.body.error.detail.field, 'amount');
  });
});

describe('GET /api/v1/accounts/{id}/transactions', () => {
  it('pages newest first without gaps or repeats, and filters by currency, type and dates', async () => {
    const platform = await createTestPlatform(ctx);
    const a = await createTestConnectedAccount(ctx, platform);
    const key = platform.keys.sandbox;
    for (let i = 1; i <= 5; i++) {
      const currency = i % 2 === 0 ? 'USDC' : 'AUD';
      const r = await ctx.call('POST', '/api/v1/transfers', { key, body: { destination_account_id: a, currency, amount: `${i}`, reference: `p${i}` } });
      assert.equal(r.status, 201);
    }
    await ctx.call('POST', '/api/v1/transfers', { key, body: { source_account_id: a, destination_account_id: platform.id, currency: 'AUD', amount: '1' } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: { transaction_id: string }[]; next_cursor: string | null } } = await ctx.call(
        'GET',
        `/api/v1/accounts/${a}/transactions?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { key },
      );
      seen.push(...page.body.data.map((t) => t.transaction_id));
      cursor = page.body.next_cursor;
    } while (cursor);
    assert.equal(seen.length, 6);
    assert.deepEqual(seen, [...seen].sort().reverse());

    const usdc = await ctx.call('GET', `/api/v1/accounts/${a}/transactions?currency=USDC`, { key });
    assert.deepEqual(usdc.body.data.map((t: { amount: string }) => t.amount), ['4.000000', '2.000000']);
    const out = await ctx.call('GET', `/api/v1/accounts/${a}/transactions?type=transfer_out`, { key });
    assert.equal(out.body.data.length, 1);
    const today = new Date().toISOString().slice(0, 10);
    assert.equal((await ctx.call('GET', `/api/v1/accounts/${a}/transactions?from_date=${today}&to_date=${today}`, { key })).body.data.length, 6);
    assert.equal((await ctx.call('GET', `/api/v1/accounts/${a}/transactions?to_date=2000-01-01`, { key })).body.data.length, 0);
    assert.equal((await ctx.call('GET', `/api/v1/accounts/${a}/transactions?from_date=2999-01-01T00:00:00Z`, { key })).body.data.length, 0);

    for (const [query, code] of [
      ['currency=EUR', 'UNSUPPORTED_CURRENCY'],
      ['type=gift', 'INVALID_REQUEST'],
      ['from_date=yesterday', 'INVALID_REQUEST'],
      ['from_date=2024-02-30', 'INVALID_REQUEST'],
      ['from_date=2024-03-02&to_date=2024-03-01', 'INVALID_REQUEST'],
      ['cursor=bm90LWFuLWlk', 'INVALID_CURSOR'],
      ['limit=101', 'INVALID_REQUEST'],
    ]) {
      const result = await ctx.call('GET', `/api/v1/accounts/${a}/transactions?${query}`, { key });
      assert.equal(result.status, 400, query);
      assert.equal(result.body.error.code, code, query);
    }
  });

  it('reads a date-time the same whatever the server time zone: without an offset it is UTC; an impossible one is refused', async () => {
    const platform = await createTestPlatform(ctx);
    const a = await createTestConnectedAccount(ctx, platform);
    const key = platform.keys.sandbox;
    const t = await ctx.call('POST', '/api/v1/transfers', { key, body: { destination_account_id: a, currency: 'AUD', amount: '1.00' } });
    assert.equal(t.status, 201, t.raw);
    const at = t.body.created_at as string; // e.g. 2026-12-01T18:56:57.360Z
    const count = async (query: string) => {
      const r = await ctx.call('GET', `/api/v1/accounts/${a}/transactions?${query}`, { key });
      assert.equal(r.status, 200, `${query}: ${r.raw}`);
      return r.body.data.length as number;
    };
    const sydney = new Date(Date.parse(at) + 11 * 3_600_000).toISOString().slice(0, -1); // the same instant at +11:00
    const zone = process.env.TZ;
    process.env.TZ = 'Australia/Sydney'; // a server there read a date-time without an offset as its own local time
    try {
      for (const [query, expected] of [
        [`to_date=${at.slice(0, -1)}`, 1],
        [`from_date=${at.slice(0, -1)}`, 1],
        [`to_date=${at}`, 1],
        [`to_date=${sydney}%2B11:00`, 1],
        [`from_date=${sydney}%2B11:00`, 1],
        [`to_date=${at.slice(0, -1)}000Z`, 1],
        [`from_date=${at.slice(0, -1)}001Z`, 0], // a lower bound a microsecond after the row excludes it
        [`from_date=${at.slice(0, 10)}`, 1],
        [`from_date=${at}&to_date=${at}`, 1], // both bounds are inclusive: one millisecond is a range
      ] as const) {
        assert.equal(await count(query), expected, query);
      }
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
    for (const query of [
      'from_date=2024-02-30T00:00:00Z',
      'from_date=2024-01-01T24:00:00Z',
      'from_date=2024-01-01T10:60:00Z',
      'from_date=2024-01-01T10:00:00%2B24:00',
      'from_date=2024-01-01T10:00:00.1234567890Z',
      'from_date=2024-01-01T10:00:00 GMT',
      'from_date=2024-01-01T10Z',
    ]) {
      const result = await ctx.call('GET', `/api/v1/accounts/${a}/transactions?${query}`, { key });
      assert.equal(result.status, 400, query);
      assert.equal(result.body.error.code, 'INVALID_REQUEST', query);
    }
  });
});

describe('isolation', () => {
  it('sandbox and production ledgers never touch: the same platform id has separate wallets, histories and totals', async () => {
    const platform = await createTestPlatform(ctx);
    const sandboxAccount = await createTestConnectedAccount(ctx, platform, 'sandbox');
    await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { destination_account_id: sandboxAccount, currency: 'AUD', amount: '7.00' } });
    await ctx.admin('POST', '/admin/v1/deposits', { environment: 'production', account_id: platform.id, currency: 'AUD', amount: '3.00', reference: 'stmt-1' });
    assert.equal((await balanceOf(platform.keys.sandbox, platform.id, 'AUD')).available, '99993.00');
    assert.equal((await balanceOf(platform.keys.production, platform.id, 'AUD')).available, '3.00');
    const prodHistory = await ctx.call('GET', `/api/v1/accounts/${platform.id}/transactions`, { key: platform.keys.production });
    assert.deepEqual(prodHistory.body.data.map((t: { amount: string }) => t.amount), ['3.00']);
    const crossed = await ctx.call('GET', `/api/v1/accounts/${sandboxAccount}/transactions`, { key: platform.keys.production });
    assert.equal(crossed.body.error.code, 'ACCOUNT_NOT_FOUND');
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
    await checkLedgerInvariants(ctx.services.db, 'production');
  });

  it('ledger entries cannot be changed or deleted', async () => {
    const { sql } = await import('kysely');
    await assert.rejects(sql`update sandbox.ledger_entries set amount = amount + 1`.execute(ctx.services.db.core), /immutable/);
    await assert.rejects(sql`delete from sandbox.ledger_entries`.execute(ctx.services.db.core), /immutable/);
    await assert.rejects(sql`update sandbox.ledger_balances set available = -1 where not is_clearing`.execute(ctx.services.db.core), /wallet_not_negative/);
  });

  it('a clearing account keeps no balance row: the platform funding, transfers and payouts lock wallets only', async () => {
    const { sql } = await import('kysely');
    const platform = await createTestPlatform(ctx);
    assert.ok(platform.id);
    const rows = await sql<{ n: string }>`select count(*)::text as n from sandbox.ledger_balances where ledger_account like 'clearing:%'`.execute(ctx.services.db.core);
    assert.equal(rows.rows[0]?.n, '0');
    await assert.rejects(
      sql`insert into sandbox.ledger_balances (ledger_account, currency, is_clearing) values ('clearing:inbound', 'AUD', true)`.execute(ctx.services.db.core),
      /ledger_balances_wallets_only/,
    );
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });
});

describe('migration 0012: clearing accounts give up their balance rows', () => {
  it('deletes the rows; the sum of the entries is the same balance, and every currency still sums to zero', async () => {
    const { sql } = await import('kysely');
    const db = await openPglite();
    try {
      await migrate(db, { through: '0011_webhooks' });
      // As the ledger wrote it before: a deposit of 5.00 from inbound clearing into a wallet, with both running totals.
      await sql`insert into sandbox.ledger_balances (ledger_account, currency, is_clearing, available) values ('clearing:inbound', 'AUD', true, -500), ('acct_legacy', 'AUD', false, 500)`.execute(db.core);
      await sql`insert into sandbox.ledger_entries (movement_id, ledger_account, currency, bucket, amount) values ('dep_legacy', 'clearing:inbound', 'AUD', 'available', -500), ('dep_legacy', 'acct_legacy', 'AUD', 'available', 500)`.execute(db.core);
      await migrate(db);
      const left = await sql<{ ledger_account: string }>`select ledger_account from sandbox.ledger_balances`.execute(db.core);
      assert.deepEqual(left.rows.map((r) => r.ledger_account), ['acct_legacy']);
      assert.deepEqual(await clearingBalances(db.env('sandbox')), [{ ledgerAccount: 'clearing:inbound', currency: 'AUD', available: -500n, pending: 0n }]);
    } finally {
      await db.close();
    }
  });
});
