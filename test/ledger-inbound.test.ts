// Spec §5: inbound funds — virtual account numbers, sandbox deposits and their settlement, operator-recorded deposits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import { up as migration0006 } from '../src/db/migrations/0006_deposit_references.ts';
import { getVirtualAccountDetails } from '../src/domain/ledger/virtual-accounts.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext } from './support/context.ts';
import { createTestDatabase } from './support/database.ts';
import { approveAccount, checkLedgerInvariants } from './support/ledger.ts';
import { approveTestAccount } from './support/onboarding.ts';
import { createSecurityFixture, type SecurityFixture } from './support/route-security.ts';

let ctx: TestContext;
let f: SecurityFixture;

before(async () => {
  ctx = await startTestApp({ sandboxSettleDelayMs: 100 });
  f = await createSecurityFixture(ctx);
});
after(() => ctx.close());


const waitFor = async (check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

describe('virtual accounts', () => {
  it('without account_name or display_name, the name is the one the account was verified under, else the platform name', async () => {
    const key = f.platform.keys.sandbox;
    const verified = await createTestConnectedAccount(ctx, f.platform, 'sandbox');
    await approveTestAccount(ctx, f.platform, verified); // KYC as Olivia Nguyen, approved
    await approveAccount(ctx, 'sandbox', verified);
    const issued = await ctx.call('POST', `/api/v1/accounts/${verified}/virtual-account`, { key });
    assert.equal(issued.status, 201, issued.raw);
    assert.equal(issued.body.account_name, 'Olivia Nguyen');
    const unverified = await createTestConnectedAccount(ctx, f.platform, 'sandbox');
    await approveAccount(ctx, 'sandbox', unverified); // approved without identity on file (a test shortcut)
    const fallback = await ctx.call('POST', `/api/v1/accounts/${unverified}/virtual-account`, { key });
    assert.equal(fallback.status, 201, fallback.raw);
    assert.equal(fallback.body.account_name, f.platform.name);
  });

  it('issue, read, 409 while active, release, 404 after; numbers are unique and getVirtualAccountDetails sees the active one', async () => {
    const account = await createTestConnectedAccount(ctx, f.platform, 'sandbox', { display_name: 'Jane Citizen' });
    await approveAccount(ctx, 'sandbox', account);
    const key = f.platform.keys.sandbox;
    const url = `/api/v1/accounts/${account}/virtual-account`;
    const issued = await ctx.call('POST', url, { key, onBehalfOf: account });
    assert.equal(issued.status, 201, issued.raw);
    assert.match(issued.body.id, /^van_/);
    assert.match(issued.body.bsb, /^\d{6}$/);
    assert.match(issued.body.account_number, /^\d{9}$/);
    assert.equal(issued.body.account_name, 'Jane Citizen');
    assert.equal(issued.body.currency, 'AUD');
    assert.deepEqual((await ctx.call('GET', url, { key })).body, issued.body);
    const details = await getVirtualAccountDetails(ctx.services.db, 'sandbox', account);
    assert.equal(details?.accountNumber, issued.body.account_number);
    const receiving = await ctx.call('GET', `/api/v1/accounts/${account}/receiving-details`, { key, onBehalfOf: account });
    assert.equal(receiving.status, 200, receiving.raw);
    assert.deepEqual(receiving.body.aud, {
      currency: 'AUD',
      bsb: issued.body.bsb,
      account_number: issued.body.account_number,
      account_name: 'Jane Citizen',
      virtual_account_id: issued.body.id,
    });
    assert.equal(receiving.body.aud_note, null);
    const twice = await ctx.call('POST', url, { key });
    assert.equal(twice.status, 409);
    assert.equal(twice.body.error.code, 'VIRTUAL_ACCOUNT_EXISTS');
    const released = await ctx.call('DELETE', url, { key });
    assert.equal(released.status, 200);
    assert.equal(released.body.released, true);
    assert.equal((await ctx.call('GET', url, { key })).body.error.code, 'VIRTUAL_ACCOUNT_NOT_FOUND');
    assert.equal((await ctx.call('DELETE', url, { key })).body.error.code, 'VIRTUAL_ACCOUNT_NOT_FOUND');
    assert.equal(await getVirtualAccountDetails(ctx.services.db, 'sandbox', account), null);
    const reissued = await ctx.call('POST', url, { key, body: { account_name: 'Jane C' } });
    assert.equal(reissued.status, 201);
    assert.notEqual(reissued.body.account_number, issued.body.account_number);
    assert.equal(reissued.body.account_name, 'Jane C');
    assert.equal((await ctx.call('POST', url, { key, body: { nope: 1 } })).body.error.code, 'INVALID_REQUEST');
  });

  it('403 CAPABILITY_NOT_ACTIVATED for an approved account without inbound_payments', async () => {
    const account = await createTestConnectedAccount(ctx, f.platform);
    await approveAccount(ctx, 'sandbox', account, ['payouts']);
    const result = await ctx.call('POST', `/api/v1/accounts/${account}/virtual-account`, { key: f.platform.keys.sandbox });
    assert.equal(result.status, 403);
    assert.deepEqual(result.body.error.detail, { account_id: account, capability: 'inbound_payments' });
  });
});

describe('POST /api/v1/sandbox/deposits', () => {
  it('201 pending (in pending balance), then settled by the background settler with payment.settled', async () => {
    const platform = await createTestPlatform(ctx);
    const account = await createTestConnectedAccount(ctx, platform);
    await approveAccount(ctx, 'sandbox', account);
    const key = platform.keys.sandbox;
    const created = await ctx.call('POST', '/api/v1/sandbox/deposits', {
      key,
      body: { account_id: account, currency: 'SGD', amount: '42.10', reference: 'INV-1', sender_name: 'Acme Pte' },
    });
    assert.equal(created.status, 201, created.raw);
    assert.match(created.body.id, /^dep_/);
    assert.equal(created.body.status, 'pending');
    const balances = async () => (await ctx.call('GET', `/api/v1/accounts/${account}/wallet/balances`, { key })).body.data.find((b: { currency: string }) => b.currency === 'SGD');
    const first = await balances();
    // the settler may already have run on a slow machine; before it, the money is pending, never available
    assert.ok((first.pending === '42.10' && first.available === '0.00') || (first.pending === '0.00' && first.available === '42.10'));
    await waitFor(async () => (await balances()).available === '42.10');
    assert.equal((await balances()).pending, '0.00');
    const history = await ctx.call('GET', `/api/v1/accounts/${account}/transactions`, { key });
    assert.deepEqual(
      history.body.data.map((t: { type: string; amount: string; status: string; reference: string; counterparty: unknown }) => [t.type, t.amount, t.status, t.reference, t.counterparty]),
      [['payment_in', '42.10', 'settled', 'INV-1', { type: 'external', name: 'Acme Pte' }]],
    );
    const events = await ctx.services.db.env('sandbox').selectFrom('events').selectAll().where('account_id', '=', account).where('type', '=', 'payment.settled').execute();
    assert.equal(events.length, 1);
    assert.equal(events[0]?.data.amount, '42.10');
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('settle: "immediately" is settled in the response; x-on-behalf-of deposits to the scope account', async () => {
    const account = await createTestConnectedAccount(ctx, f.platform);
    await approveAccount(ctx, 'sandbox', account);
    const created = await ctx.call('POST', '/api/v1/sandbox/deposits', {
      key: f.platform.keys.sandbox,
      onBehalfOf: account,
      body: { currency: 'USDC', amount: '0.000001', settle: 'immediately' },
    });
    assert.equal(created.status, 201, created.raw);
    assert.deepEqual([created.body.status, created.body.account_id, created.body.amount], ['settled', account, '0.000001']);
    const mismatch = await ctx.call('POST', '/api/v1/sandbox/deposits', { key: f.platform.keys.sandbox, onBehalfOf: account, body: { account_id: f.platform.id, currency: 'AUD', amount: '1' } });
    assert.equal(mismatch.body.error.code, 'ON_BEHALF_OF_MISMATCH');
  });

  it('403 SANDBOX_ONLY with a production key; 404 for another platform’s account; 400 for bad amounts', async () => {
    const production = await ctx.call('POST', '/api/v1/sandbox/deposits', { key: f.platform.keys.production, body: { currency: 'AUD', amount: '1.00' } });
    assert.equal(production.status, 403);
    assert.equal(production.body.error.code, 'SANDBOX_ONLY');
    const foreign = await ctx.call('POST', '/api/v1/sandbox/deposits', { key: f.platform.keys.sandbox, body: { account_id: f.foreignAccount, currency: 'AUD', amount: '1.00' } });
    assert.equal(foreign.body.error.code, 'ACCOUNT_NOT_FOUND');
    for (const amount of ['1.001', 0, '0', '-1', '1e2']) {
      const bad = await ctx.call('POST', '/api/v1/sandbox/deposits', { key: f.platform.keys.sandbox, body: { currency: 'AUD', amount } });
      assert.equal(bad.body.error.code, 'INVALID_AMOUNT', String(amount));
    }
    const usdt = await ctx.call('POST', '/api/v1/sandbox/deposits', { key: f.platform.keys.sandbox, body: { currency: 'USDT', amount: '1.0000001' } });
    assert.equal(usdt.body.error.code, 'INVALID_AMOUNT');
    const settle = await ctx.call('POST', '/api/v1/sandbox/deposits', { key: f.platform.keys.sandbox, body: { currency: 'AUD', amount: '1', settle: 'later' } });
    assert.equal(settle.body.error.code, 'INVALID_REQUEST');
  });
});

describe('operator deposits (production inbound)', () => {
  it('records settled funds from the bank statement, for any account; 404 for an unknown account', async () => {
    const account = await createTestConnectedAccount(ctx, f.platform, 'production');
    const recorded = await ctx.admin('POST', '/admin/v1/deposits', { environment: 'production', account_id: account, currency: 'AUD', amount: '10.00', reference: 'BANK-77' });
    assert.equal(recorded.status, 201, recorded.raw);
    assert.equal(recorded.body.status, 'settled');
    const balances = await ctx.call('GET', `/api/v1/accounts/${account}/wallet/balances`, { key: f.platform.keys.production });
    assert.equal(balances.body.data[0].available, '10.00');
    const unknown = await ctx.admin('POST', '/admin/v1/deposits', { environment: 'production', account_id: 'acct_nope', currency: 'AUD', amount: '1.00', reference: 'x' });
    assert.equal(unknown.body.error.code, 'ACCOUNT_NOT_FOUND');
    const bad = await ctx.admin('POST', '/admin/v1/deposits', { environment: 'production', account_id: account, currency: 'AUD', amount: 10, reference: 'x' });
    assert.equal(bad.body.error.code, 'INVALID_AMOUNT');
    await checkLedgerInvariants(ctx.services.db, 'production');
  });

  it('409 DUPLICATE_REFERENCE for a reference already recorded for the account, even sent at once: credited once', async () => {
    const account = await createTestConnectedAccount(ctx, f.platform, 'production');
    const body = { environment: 'production', account_id: account, currency: 'AUD', amount: '10.00', reference: 'STMT-2024-001' };
    // an operator re-running the command after a timeout, three times at once: the unique index lets one through
    const results = await Promise.all([0, 1, 2].map(() => ctx.admin('POST', '/admin/v1/deposits', body)));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409], results.map((r) => r.raw).join('\n'));
    const created = results.find((r) => r.status === 201)?.body;
    for (const dup of results.filter((r) => r.status === 409)) {
      assert.equal(dup.body.error.code, 'DUPLICATE_REFERENCE');
      assert.match(dup.body.error.message, /deposit with this reference was already recorded/);
      assert.deepEqual(dup.body.error.detail, { field: 'reference', reference: 'STMT-2024-001', account_id: account, deposit_id: created.id });
    }
    // a reference is one deposit to the account, whatever the amount or currency (trimmed like every reference)
    const other = await ctx.admin('POST', '/admin/v1/deposits', { ...body, currency: 'USD', amount: '1.00', reference: ' STMT-2024-001 ' });
    assert.equal(other.body.error?.code, 'DUPLICATE_REFERENCE');
    const balances = await ctx.call('GET', `/api/v1/accounts/${account}/wallet/balances`, { key: f.platform.keys.production });
    assert.deepEqual(balances.body.data.slice(0, 2).map((b: { available: string }) => b.available), ['10.00', '0.00']);
    const deposits = await ctx.services.db.env('production').selectFrom('deposits').select('id').where('account_id', '=', account).execute();
    assert.deepEqual(deposits.map((d) => d.id), [created.id]);

    // another account, or the other environment, has references of its own; so has the account's own outbound side
    const neighbour = await createTestConnectedAccount(ctx, f.platform, 'production');
    assert.equal((await ctx.admin('POST', '/admin/v1/deposits', { ...body, account_id: neighbour })).status, 201);
    const sandboxAccount = await createTestConnectedAccount(ctx, f.platform, 'sandbox');
    assert.equal((await ctx.admin('POST', '/admin/v1/deposits', { ...body, environment: 'sandbox', account_id: sandboxAccount })).status, 201);
    await checkLedgerInvariants(ctx.services.db, 'production');
  });

  it('sandbox deposits follow the same rule: a reference names one deposit to the account', async () => {
    const account = await createTestConnectedAccount(ctx, f.platform);
    await approveAccount(ctx, 'sandbox', account);
    const key = f.platform.keys.sandbox;
    const body = { account_id: account, currency: 'AUD', amount: '5.00', reference: 'INV-9', settle: 'immediately' };
    assert.equal((await ctx.call('POST', '/api/v1/sandbox/deposits', { key, body })).status, 201);
    const again = await ctx.call('POST', '/api/v1/sandbox/deposits', { key, body });
    assert.equal(again.status, 409, again.raw);
    assert.equal(again.body.error.code, 'DUPLICATE_REFERENCE');
    // without a reference nothing identifies a deposit: two are two
    const { reference: _unused, ...unreferenced } = body;
    assert.equal((await ctx.call('POST', '/api/v1/sandbox/deposits', { key, body: unreferenced })).status, 201);
    assert.equal((await ctx.call('POST', '/api/v1/sandbox/deposits', { key, body: unreferenced })).status, 201);
    const balances = await ctx.call('GET', `/api/v1/accounts/${account}/wallet/balances`, { key });
    assert.equal(balances.body.data[0].available, '15.00');
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });
});

describe('migration 0006', () => {
  it('a database that already holds a reference twice (the double credit) migrates: the oldest deposit keeps the reference', async () => {
    // A migrated database taken back to before 0006 (cheaper than migrating a fresh one up to 0005).
    const { db, drop } = await createTestDatabase();
    try {
      await sql`drop table sandbox.deposit_references; drop table production.deposit_references`.execute(db.core);
      const insert = (id: string, account: string, reference: string | null, at: string) => sql`
        insert into production.deposits (id, platform_id, account_id, currency, amount, reference, source, status, transaction_id, created_at)
        values (${id}, 'acct_p', ${account}, 'AUD', 100, ${reference}, 'operator', 'settled', ${`tx_${id}`}, ${new Date(at)})`.execute(db.core);
      await insert('dep_b', 'acct_1', 'R1', '2024-01-02T00:00:00Z');
      await insert('dep_a', 'acct_1', 'R1', '2024-01-01T00:00:00Z');
      await insert('dep_c', 'acct_2', 'R1', '2024-01-03T00:00:00Z');
      await insert('dep_d', 'acct_1', null, '2024-01-04T00:00:00Z');
      await migration0006(db.core as unknown as Kysely<unknown>);
      const claimed = await db.env('production').selectFrom('deposit_references').select(['account_id', 'reference', 'deposit_id']).orderBy('account_id').execute();
      assert.deepEqual(claimed, [
        { account_id: 'acct_1', reference: 'R1', deposit_id: 'dep_a' },
        { account_id: 'acct_2', reference: 'R1', deposit_id: 'dep_c' },
      ]);
      assert.equal((await db.env('production').selectFrom('deposits').select('id').execute()).length, 4, 'history is kept as it is');
    } finally {
      await drop();
    }
  });
});
