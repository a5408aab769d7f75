// Spec §5: payouts — validation, holds, sandbox simulation, the operator as the production rail.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { approveAccount, bankDestination, checkLedgerInvariants, solanaAddress } from './support/ledger.ts';
import { createSecurityFixture, type SecurityFixture } from './support/route-security.ts';

let ctx: TestContext;
let f: SecurityFixture;

before(async () => {
  ctx = await startTestApp();
  f = await createSecurityFixture(ctx);
});
after(() => ctx.close());

const payoutBody = (overrides: Record<string, unknown> = {}) => ({ currency: 'AUD', amount: '10.00', destination_type: 'bank_account', destination: bankDestination, ...overrides });

async function fundedAccount(platform: TestPlatform, amount = '100.00', currency = 'AUD'): Promise<string> {
  const account = await createTestConnectedAccount(ctx, platform);
  await approveAccount(ctx, 'sandbox', account);
  const t = await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { destination_account_id: account, currency, amount } });
  assert.equal(t.status, 201, t.raw);
  return account;
}

const available = async (platform: TestPlatform, account: string, currency = 'AUD') => {
  const r = await ctx.call('GET', `/api/v1/accounts/${account}/wallet/balances`, { key: platform.keys.sandbox });
  return r.body.data.find((b: { currency: string }) => b.currency === currency).available as string;
};

describe('POST /api/v1/payouts', () => {
  it('201 pending with the funds held; completed → payment_out settled and payout.completed', async () => {
    const platform = await createTestPlatform(ctx);
    const account = await fundedAccount(platform);
    const key = platform.keys.sandbox;
    const created = await ctx.call('POST', '/api/v1/payouts', { key, onBehalfOf: account, body: payoutBody({ reference: 'wd-1' }) });
    assert.equal(created.status, 201, created.raw);
    assert.match(created.body.id, /^po_/);
    assert.equal(created.body.status, 'pending');
    assert.equal(created.body.account_id, account);
    assert.deepEqual(created.body.destination, bankDestination);
    assert.equal(await available(platform, account), '90.00');
    const history = await ctx.call('GET', `/api/v1/accounts/${account}/transactions?type=payment_out`, { key });
    assert.deepEqual([history.body.data[0].amount, history.body.data[0].status], ['-10.00', 'pending']);

    const done = await ctx.call('POST', `/api/v1/sandbox/payouts/${created.body.id}/simulate`, { key, body: { status: 'completed' } });
    assert.equal(done.status, 200, done.raw);
    assert.equal(done.body.status, 'completed');
    assert.equal(await available(platform, account), '90.00');
    const settled = await ctx.call('GET', `/api/v1/accounts/${account}/transactions?type=payment_out`, { key });
    assert.equal(settled.body.data[0].status, 'settled');
    const again = await ctx.call('POST', `/api/v1/sandbox/payouts/${created.body.id}/simulate`, { key, body: { status: 'failed' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'PAYOUT_NOT_PENDING');
    const events = await ctx.services.db.env('sandbox').selectFrom('events').select('type').where('account_id', '=', account).where('type', 'like', 'payout.%').execute();
    assert.deepEqual(events.map((e) => e.type), ['payout.completed']);
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('failed → the hold is released, failure_reason recorded, payment_out failed, payout.failed', async () => {
    const platform = await createTestPlatform(ctx);
    const account = await fundedAccount(platform, '5.000000', 'USDT');
    const key = platform.keys.sandbox;
    const created = await ctx.call('POST', '/api/v1/payouts', {
      key,
      onBehalfOf: account,
      body: payoutBody({ currency: 'USDT', amount: '5', destination_type: 'crypto_address', destination: { address: solanaAddress, network: 'solana' } }),
    });
    assert.equal(created.status, 201, created.raw);
    assert.equal(await available(platform, account, 'USDT'), '0.000000');
    const failed = await ctx.call('POST', `/api/v1/sandbox/payouts/${created.body.id}/simulate`, { key, onBehalfOf: account, body: { status: 'failed', failure_reason: 'Address rejected' } });
    assert.equal(failed.status, 200, failed.raw);
    assert.deepEqual([failed.body.status, failed.body.failure_reason], ['failed', 'Address rejected']);
    assert.equal(await available(platform, account, 'USDT'), '5.000000');
    const read = await ctx.call('GET', `/api/v1/payouts/${created.body.id}`, { key, onBehalfOf: account });
    assert.equal(read.body.status, 'failed');
    const history = await ctx.call('GET', `/api/v1/accounts/${account}/transactions?type=payment_out`, { key });
    assert.equal(history.body.data[0].status, 'failed');
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('422 INSUFFICIENT_BALANCE; 409 DUPLICATE_REFERENCE for a reused reference', async () => {
    const platform = await createTestPlatform(ctx);
    const account = await fundedAccount(platform, '10.00');
    const key = platform.keys.sandbox;
    const tooMuch = await ctx.call('POST', '/api/v1/payouts', { key, onBehalfOf: account, body: payoutBody({ amount: '10.01' }) });
    assert.equal(tooMuch.status, 422);
    assert.equal(tooMuch.body.error.code, 'INSUFFICIENT_BALANCE');
    assert.equal((await ctx.call('POST', '/api/v1/payouts', { key, onBehalfOf: account, body: payoutBody({ amount: '1.00', reference: 'r' }) })).status, 201);
    const dup = await ctx.call('POST', '/api/v1/payouts', { key, onBehalfOf: account, body: payoutBody({ amount: '1.00', reference: 'r' }) });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, 'DUPLICATE_REFERENCE');
  });

  it('403 CAPABILITY_NOT_ACTIVATED for an approved account without payouts', async () => {
    const account = await createTestConnectedAccount(ctx, f.platform);
    await approveAccount(ctx, 'sandbox', account, ['inbound_payments']);
    const result = await ctx.call('POST', '/api/v1/payouts', { key: f.platform.keys.sandbox, onBehalfOf: account, body: payoutBody() });
    assert.equal(result.status, 403);
    assert.equal(result.body.error.code, 'CAPABILITY_NOT_ACTIVATED');
    assert.deepEqual(result.body.error.detail, { account_id: account, capability: 'payouts' });
  });

  it('400 for invalid destinations and amounts', async () => {
    const key = f.platform.keys.sandbox;
    const cases: [Record<string, unknown>, string, string?][] = [
      [{ destination: { ...bankDestination, bsb: '12345' } }, 'INVALID_REQUEST', 'destination.bsb'],
      [{ destination: { ...bankDestination, bsb: '062-000' } }, 'INVALID_REQUEST', 'destination.bsb'],
      [{ destination: { ...bankDestination, account_number: '12ab' } }, 'INVALID_REQUEST', 'destination.account_number'],
      [{ destination: { ...bankDestination, account_name: '  ' } }, 'INVALID_REQUEST', 'destination.account_name'],
      [{ destination: { bsb: '062000' } }, 'INVALID_REQUEST'],
      [{ currency: 'USDC', destination_type: 'crypto_address', destination: { address: 'not-base58-0OIl', network: 'solana' } }, 'INVALID_REQUEST', 'destination.address'],
      [{ currency: 'USDC', destination_type: 'crypto_address', destination: { address: '1111', network: 'solana' } }, 'INVALID_REQUEST', 'destination.address'],
      [{ currency: 'USDC', destination_type: 'crypto_address', destination: { address: solanaAddress, network: 'ethereum' } }, 'INVALID_REQUEST', 'destination.network'],
      [{ currency: 'AUD', destination_type: 'crypto_address', destination: { address: solanaAddress, network: 'solana' } }, 'INVALID_REQUEST', 'currency'],
      [{ currency: 'USDT' }, 'INVALID_REQUEST', 'currency'],
      [{ destination_type: 'cheque' }, 'INVALID_REQUEST'],
      [{ amount: 10 }, 'INVALID_AMOUNT'],
      [{ amount: '10.000' }, 'INVALID_AMOUNT'],
      [{ currency: 'EUR' }, 'UNSUPPORTED_CURRENCY'],
    ];
    for (const [override, code, field] of cases) {
      const result = await ctx.call('POST', '/api/v1/payouts', { key, body: payoutBody(override) });
      assert.equal(result.status, 400, JSON.stringify(override) + result.raw);
      assert.equal(result.body.error.code, code, JSON.stringify(override));
      if (field) assert.equal(result.body.error.detail.field, field, JSON.stringify(override));
    }
  });
});

/** The ledger entries a payout has posted: 2 for its hold, 2 more once decided (completion or release). */
const entriesOf = async (payoutId: string, environment: 'sandbox' | 'production' = 'sandbox') =>
  Number((await ctx.services.db.env(environment).selectFrom('ledger_entries').select((eb) => eb.fn.countAll().as('n')).where('movement_id', '=', payoutId).executeTakeFirstOrThrow()).n);

describe('a payout is decided once: the same answer again returns it, the other answer is 409', () => {
  const complete = (id: string) => ctx.admin('POST', `/admin/v1/payouts/${id}/complete`, { environment: 'sandbox' });
  const fail = (id: string, reason: string) => ctx.admin('POST', `/admin/v1/payouts/${id}/fail`, { environment: 'sandbox', reason });

  async function pendingPayouts(count: number): Promise<{ platform: TestPlatform; account: string; ids: string[] }> {
    const platform = await createTestPlatform(ctx);
    const account = await fundedAccount(platform);
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const created = await ctx.call('POST', '/api/v1/payouts', { key: platform.keys.sandbox, onBehalfOf: account, body: payoutBody({ amount: '1.00' }) });
      assert.equal(created.status, 201, created.raw);
      ids.push(created.body.id);
    }
    return { platform, account, ids };
  }

  it('operator: completing a completed payout → 200, same body, nothing moves; failing it → 409; likewise for a failed one', async () => {
    const { platform, account, ids } = await pendingPayouts(2);
    const [done, rejected] = ids as [string, string];
    const first = await complete(done);
    assert.equal(first.status, 200, first.raw);
    const retried = await complete(done); // the operator's retry after a timeout, without an Idempotency-Key
    assert.equal(retried.status, 200, retried.raw);
    assert.equal(retried.raw, first.raw);
    const flip = await fail(done, 'Account closed');
    assert.equal(flip.status, 409);
    assert.equal(flip.body.error.code, 'PAYOUT_NOT_PENDING');
    assert.deepEqual(flip.body.error.detail, { payout_id: done, status: 'completed', failure_reason: null });

    const failed = await fail(rejected, 'Account closed');
    assert.equal(failed.status, 200, failed.raw);
    const again = await fail(rejected, ' Account closed ');
    assert.deepEqual([again.status, again.raw], [200, failed.raw]);
    assert.equal((await fail(rejected, 'Another reason')).body.error.code, 'PAYOUT_NOT_PENDING', 'a different reason is another decision');
    assert.equal((await complete(rejected)).body.error.code, 'PAYOUT_NOT_PENDING');

    assert.deepEqual([await entriesOf(done), await entriesOf(rejected)], [4, 4]);
    assert.equal(await available(platform, account), '99.00');
    const events = await ctx.services.db.env('sandbox').selectFrom('events').select('type').where('account_id', '=', account).where('type', 'like', 'payout.%').orderBy('id').execute();
    assert.deepEqual(events.map((e) => e.type), ['payout.completed', 'payout.failed']);
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });

  it('sandbox simulate follows the same rule', async () => {
    const { platform, ids } = await pendingPayouts(1);
    const url = `/api/v1/sandbox/payouts/${ids[0]}/simulate`;
    const first = await ctx.call('POST', url, { key: platform.keys.sandbox, body: { status: 'completed' } });
    const second = await ctx.call('POST', url, { key: platform.keys.sandbox, body: { status: 'completed' } });
    assert.deepEqual([first.status, second.status, second.raw], [200, 200, first.raw]);
    assert.equal((await ctx.call('POST', url, { key: platform.keys.sandbox, body: { status: 'failed' } })).body.error.code, 'PAYOUT_NOT_PENDING');
    assert.equal(await entriesOf(ids[0] as string), 4);
  });

  it('answers sent at once: the guarded UPDATE lets exactly one apply; the same answer replays it, the other is 409', async () => {
    const { platform, account, ids } = await pendingPayouts(6);
    const sameAnswer = ids.slice(0, 3);
    const mixed = ids.slice(3);
    const results = await Promise.all([
      ...sameAnswer.flatMap((id) => [complete(id), complete(id), complete(id), complete(id)]),
      ...mixed.flatMap((id) => [complete(id), fail(id, 'race'), complete(id), fail(id, 'race')]),
    ]);
    for (let i = 0; i < ids.length; i++) {
      const four = results.slice(4 * i, 4 * i + 4);
      assert.ok(four.every((r) => r.status === 200 || r.body.error?.code === 'PAYOUT_NOT_PENDING'), four.map((r) => r.raw).join('\n'));
      const applied = four.filter((r) => r.status === 200);
      assert.ok(applied.length >= 1);
      assert.ok(applied.every((r) => r.raw === applied[0]?.raw), 'every 200 is the one decision');
      if (i < sameAnswer.length) assert.equal(applied.length, 4, 'the same answer four times: all get the payout');
      else assert.equal(applied.length, 2, 'complete and fail at once: the two of the winning kind get it, the others 409');
      assert.equal(await entriesOf(ids[i] as string), 4, `payout ${i} moved money once`);
    }
    const decided = await ctx.services.db.env('sandbox').selectFrom('payouts').select('status').where('account_id', '=', account).execute();
    assert.ok(decided.every((p) => p.status !== 'pending'));
    assert.equal(await available(platform, account), String(94 + decided.filter((p) => p.status === 'failed').length) + '.00');
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });
});

describe('GET /api/v1/payouts', () => {
  it("lists the scope's payouts newest first; another account or platform cannot read them", async () => {
    const platform = await createTestPlatform(ctx);
    const account = await fundedAccount(platform);
    const key = platform.keys.sandbox;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await ctx.call('POST', '/api/v1/payouts', { key, onBehalfOf: account, body: payoutBody({ amount: '1.00' }) })).body.id);
    const page1 = await ctx.call('GET', '/api/v1/payouts?limit=2', { key, onBehalfOf: account });
    const page2 = await ctx.call('GET', `/api/v1/payouts?limit=2&cursor=${page1.body.next_cursor}`, { key, onBehalfOf: account });
    assert.deepEqual([...page1.body.data, ...page2.body.data].map((p: { id: string }) => p.id), ids.reverse());
    assert.equal((await ctx.call('GET', '/api/v1/payouts?status=completed', { key, onBehalfOf: account })).body.data.length, 0);
    assert.equal((await ctx.call('GET', '/api/v1/payouts', { key })).body.data.length, 0, 'the platform scope lists its own payouts');
    assert.equal((await ctx.call('GET', `/api/v1/payouts/${ids[0]}`, { key })).status, 200, 'the platform may read its accounts’ payouts');
    const sibling = await createTestConnectedAccount(ctx, platform);
    const hidden = await ctx.call('GET', `/api/v1/payouts/${ids[0]}`, { key, onBehalfOf: sibling });
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.error.code, 'PAYOUT_NOT_FOUND');
    const foreign = await ctx.call('GET', `/api/v1/payouts/${ids[0]}`, { key: f.platform.keys.sandbox });
    assert.equal(foreign.body.error.code, 'PAYOUT_NOT_FOUND');
    const simulateForeign = await ctx.call('POST', `/api/v1/sandbox/payouts/${ids[0]}/simulate`, { key: f.platform.keys.sandbox, body: { status: 'completed' } });
    assert.equal(simulateForeign.body.error.code, 'PAYOUT_NOT_FOUND');
  });
});

describe('production payouts: the operator is the rail', () => {
  it('403 SANDBOX_ONLY for simulate with a production key; operator lists, completes and fails', async () => {
    const platform = await createTestPlatform(ctx);
    const deposit = await ctx.admin('POST', '/admin/v1/deposits', { environment: 'production', account_id: platform.id, currency: 'AUD', amount: '50.00', reference: 'stmt-9' });
    assert.equal(deposit.status, 201, deposit.raw);
    await ctx.services.db.env('production').updateTable('accounts').set({ capabilities: ['payouts', 'inbound_payments'] }).where('id', '=', platform.id).execute();
    const key = platform.keys.production;
    const one = await ctx.call('POST', '/api/v1/payouts', { key, body: payoutBody({ amount: '20.00' }) });
    const two = await ctx.call('POST', '/api/v1/payouts', { key, body: payoutBody({ amount: '30.00' }) });
    assert.equal(one.status, 201, one.raw);
    assert.equal(two.status, 201, two.raw);
    const simulate = await ctx.call('POST', `/api/v1/sandbox/payouts/${one.body.id}/simulate`, { key, body: { status: 'completed' } });
    assert.equal(simulate.status, 403);
    assert.equal(simulate.body.error.code, 'SANDBOX_ONLY');
    const pending = await ctx.admin('GET', '/admin/v1/payouts?environment=production');
    assert.ok(pending.body.data.some((p: { id: string }) => p.id === one.body.id));
    assert.equal((await ctx.admin('POST', `/admin/v1/payouts/${one.body.id}/complete`, {})).body.status, 'completed');
    const failed = await ctx.admin('POST', `/admin/v1/payouts/${two.body.id}/fail`, { reason: 'Account closed' });
    assert.deepEqual([failed.body.status, failed.body.failure_reason], ['failed', 'Account closed']);
    assert.equal((await ctx.admin('POST', `/admin/v1/payouts/${two.body.id}/complete`, {})).body.error.code, 'PAYOUT_NOT_PENDING');
    assert.equal((await ctx.admin('POST', '/admin/v1/payouts/po_unknown/complete', {})).body.error.code, 'PAYOUT_NOT_FOUND');
    const balances = await ctx.call('GET', `/api/v1/accounts/${platform.id}/wallet/balances`, { key });
    assert.equal(balances.body.data[0].available, '30.00');
    await checkLedgerInvariants(ctx.services.db, 'production');
  });
});
