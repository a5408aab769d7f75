// Spec §5: inbound funds — virtual account numbers, sandbox deposits and their settlement, operator-recorded deposits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getVirtualAccountDetails } from '../src/domain/ledger/virtual-accounts.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext } from './support/context.ts';
import { approveAccount, checkLedgerInvariants } from './support/ledger.ts';
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
});
