// Spec §2: Idempotency-Key on every creating POST — replay, reuse with another body, in use, stored per platform and environment.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { approveAccount, bankDestination } from './support/ledger.ts';
import { validKyc } from './support/onboarding.ts';

let ctx: TestContext;
let platform: TestPlatform;
let account: string;

before(async () => {
  ctx = await startTestApp();
  platform = await createTestPlatform(ctx);
  account = await createTestConnectedAccount(ctx, platform);
  await approveAccount(ctx, 'sandbox', account);
});
after(() => ctx.close());

const countTransfers = async () =>
  Number((await ctx.services.db.env('sandbox').selectFrom('transfers').select((eb) => eb.fn.countAll().as('n')).where('platform_id', '=', platform.id).executeTakeFirstOrThrow()).n);

describe('Idempotency-Key', () => {
  it('covers the onboarding POSTs too: a retried KYC submission replays instead of answering 409', async () => {
    const key = platform.keys.sandbox;
    const person = await createTestConnectedAccount(ctx, platform);
    const headers = { 'idempotency-key': `kyc-${person}` };
    const first = await ctx.call('POST', `/api/v1/accounts/${person}/kyc`, { key, body: validKyc(), headers });
    assert.equal(first.status, 200, first.raw);
    const retry = await ctx.call('POST', `/api/v1/accounts/${person}/kyc`, { key, body: validKyc(), headers });
    assert.equal(retry.status, first.status);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.deepEqual(retry.body, first.body);
    const withoutKey = await ctx.call('POST', `/api/v1/accounts/${person}/kyc`, { key, body: validKyc() });
    assert.equal(withoutKey.body.error.code, 'VERIFICATION_ALREADY_SUBMITTED');
  });

  it('same key and body → the first response again with idempotent-replayed: true, and one movement only', async () => {
    const key = platform.keys.sandbox;
    const body = { destination_account_id: account, currency: 'AUD', amount: '5.00' };
    const before = await countTransfers();
    const first = await ctx.call('POST', '/api/v1/transfers', { key, body, headers: { 'idempotency-key': 'transfer-1' } });
    assert.equal(first.status, 201);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    // the same JSON with keys in another order is the same request
    const replay = await ctx.call('POST', '/api/v1/transfers', { key, body: { amount: '5.00', currency: 'AUD', destination_account_id: account }, headers: { 'idempotency-key': 'transfer-1' } });
    assert.equal(replay.status, 201);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.deepEqual(replay.body, first.body);
    assert.equal(await countTransfers(), before + 1);
  });

  it('same key, different body → 422 IDEMPOTENCY_KEY_REUSED; the key of another endpoint too', async () => {
    const key = platform.keys.sandbox;
    await ctx.call('POST', '/api/v1/transfers', { key, body: { destination_account_id: account, currency: 'AUD', amount: '1.00' }, headers: { 'idempotency-key': 'k-reuse' } });
    const other = await ctx.call('POST', '/api/v1/transfers', { key, body: { destination_account_id: account, currency: 'AUD', amount: '2.00' }, headers: { 'idempotency-key': 'k-reuse' } });
    assert.equal(other.status, 422);
    assert.equal(other.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
    const elsewhere = await ctx.call('POST', '/api/v1/accounts', { key, body: { customer_type: 'individual', email: 'x@example.test', country: 'AU' }, headers: { 'idempotency-key': 'k-reuse' } });
    assert.equal(elsewhere.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('409 IDEMPOTENCY_KEY_IN_USE while the first request is still running', async () => {
    const now = new Date();
    await ctx.services.db
      .env('sandbox')
      .insertInto('idempotency_keys')
      .values({ platform_id: platform.id, key: 'running', request_hash: 'x', claim_token: 't', locked_until: new Date(now.getTime() + 60_000), created_at: now, expires_at: new Date(now.getTime() + 86_400_000) })
      .execute();
    const result = await ctx.call('POST', '/api/v1/transfers', {
      key: platform.keys.sandbox,
      body: { destination_account_id: account, currency: 'AUD', amount: '1.00' },
      headers: { 'idempotency-key': 'running' },
    });
    // a different body hash: reuse is reported first (it is wrong whatever the state); with the same hash it is "in use"
    assert.equal(result.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () =>
        ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { destination_account_id: account, currency: 'AUD', amount: '0.10' }, headers: { 'idempotency-key': 'race' } }),
      ),
    );
    const statuses = concurrent.map((r) => r.status).sort();
    assert.ok(statuses.filter((s) => s === 201).length >= 1);
    for (const r of concurrent) {
      if (r.status === 409) assert.equal(r.body.error.code, 'IDEMPOTENCY_KEY_IN_USE');
      else assert.equal(r.status, 201);
    }
    const ids = new Set(concurrent.filter((r) => r.status === 201).map((r) => r.body.id));
    assert.equal(ids.size, 1, 'every success is the same transfer');
  });

  it('a claim whose request died (past its lock) is taken over; an expired record (24 h) is forgotten', async () => {
    const past = new Date(Date.now() - 1000);
    const body = { destination_account_id: account, currency: 'AUD', amount: '0.20' };
    await ctx.services.db
      .env('sandbox')
      .insertInto('idempotency_keys')
      .values({ platform_id: platform.id, key: 'stale', request_hash: 'x', claim_token: 't', locked_until: past, created_at: past, expires_at: new Date(Date.now() + 86_400_000) })
      .execute();
    const taken = await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body, headers: { 'idempotency-key': 'stale' } });
    assert.equal(taken.status, 201, taken.raw);
    await ctx.services.db.env('sandbox').updateTable('idempotency_keys').set({ expires_at: past }).where('key', '=', 'stale').execute();
    const fresh = await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { ...body, amount: '0.30' }, headers: { 'idempotency-key': 'stale' } });
    assert.equal(fresh.status, 201);
    assert.notEqual(fresh.body.id, taken.body.id);
  });

  it('errors are replayed too (422), validation errors are not stored, and keys are per platform and environment', async () => {
    const key = platform.keys.sandbox;
    const poor = await createTestConnectedAccount(ctx, platform);
    const body = { source_account_id: poor, destination_account_id: account, currency: 'AUD', amount: '1.00' };
    const first = await ctx.call('POST', '/api/v1/transfers', { key, body, headers: { 'idempotency-key': 'err' } });
    assert.equal(first.body.error.code, 'INSUFFICIENT_BALANCE');
    const replay = await ctx.call('POST', '/api/v1/transfers', { key, body, headers: { 'idempotency-key': 'err' } });
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.body.error.code, 'INSUFFICIENT_BALANCE');
    const invalid = await ctx.call('POST', '/api/v1/transfers', { key, body: { ...body, amount: 1 }, headers: { 'idempotency-key': 'v' } });
    assert.equal(invalid.body.error.code, 'INVALID_AMOUNT');
    // INVALID_AMOUNT comes from the domain, after the claim: it is a stored answer like any other 4xx
    const invalidAgain = await ctx.call('POST', '/api/v1/transfers', { key, body: { ...body, amount: 1 }, headers: { 'idempotency-key': 'v' } });
    assert.equal(invalidAgain.headers['idempotent-replayed'], 'true');
    const schemaError = await ctx.call('POST', '/api/v1/transfers', { key, body: { nope: true }, headers: { 'idempotency-key': 'schema' } });
    assert.equal(schemaError.body.error.code, 'INVALID_REQUEST');
    const okAfter = await ctx.call('POST', '/api/v1/transfers', { key, body: { destination_account_id: account, currency: 'AUD', amount: '0.01' }, headers: { 'idempotency-key': 'schema' } });
    assert.equal(okAfter.status, 201, 'a request refused by the schema never claimed the key');

    // a key this platform has used is new to another platform
    const used = await ctx.call('POST', '/api/v1/transfers', { key, body: { destination_account_id: account, currency: 'AUD', amount: '0.02' }, headers: { 'idempotency-key': 'per-platform' } });
    assert.equal(used.status, 201);
    const other = await createTestPlatform(ctx);
    const otherAccount = await createTestConnectedAccount(ctx, other);
    const sameKeyOtherPlatform = await ctx.call('POST', '/api/v1/transfers', {
      key: other.keys.sandbox,
      body: { destination_account_id: otherAccount, currency: 'AUD', amount: '5.00' },
      headers: { 'idempotency-key': 'per-platform' },
    });
    assert.equal(sameKeyOtherPlatform.status, 201);
    assert.equal(sameKeyOtherPlatform.headers['idempotent-replayed'], undefined);
    assert.notEqual(sameKeyOtherPlatform.body.id, used.body.id);
  });

  it('400 INVALID_IDEMPOTENCY_KEY for an unusable key, or header and body field that differ', async () => {
    const key = platform.keys.sandbox;
    const tooLong = await ctx.call('POST', '/api/v1/transfers', { key, body: { destination_account_id: account, currency: 'AUD', amount: '1.00' }, headers: { 'idempotency-key': 'x'.repeat(256) } });
    assert.equal(tooLong.body.error.code, 'INVALID_IDEMPOTENCY_KEY');
    const payout = { currency: 'AUD', amount: '1.00', destination_type: 'bank_account', destination: bankDestination };
    const differ = await ctx.call('POST', '/api/v1/payouts', { key, onBehalfOf: account, body: { ...payout, idempotency_key: 'a' }, headers: { 'idempotency-key': 'b' } });
    assert.equal(differ.body.error.code, 'INVALID_IDEMPOTENCY_KEY');
  });

  it('payouts accept the key in the body field idempotency_key', async () => {
    const key = platform.keys.sandbox;
    await ctx.call('POST', '/api/v1/transfers', { key, body: { destination_account_id: account, currency: 'AUD', amount: '10.00' } });
    const body = { currency: 'AUD', amount: '1.00', destination_type: 'bank_account', destination: bankDestination, idempotency_key: 'po-1' };
    const first = await ctx.call('POST', '/api/v1/payouts', { key, onBehalfOf: account, body });
    const second = await ctx.call('POST', '/api/v1/payouts', { key, onBehalfOf: account, body });
    assert.equal(first.status, 201);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(second.body.id, first.body.id);
    const viaHeader = await ctx.call('POST', '/api/v1/payouts', { key, onBehalfOf: account, body, headers: { 'idempotency-key': 'po-1' } });
    assert.equal(viaHeader.body.id, first.body.id);
  });

  it('POST /api/v1/accounts, POST /virtual-account and POST /sandbox/deposits are idempotent too', async () => {
    const key = platform.keys.sandbox;
    const body = { customer_type: 'business', email: 'idem@example.test', country: 'AU' };
    const a = await ctx.call('POST', '/api/v1/accounts', { key, body, headers: { 'idempotency-key': 'acct-1' } });
    const b = await ctx.call('POST', '/api/v1/accounts', { key, body, headers: { 'idempotency-key': 'acct-1' } });
    assert.equal(a.status, 201);
    assert.equal(b.headers['idempotent-replayed'], 'true');
    assert.equal(b.body.id, a.body.id);
    const deposit = { currency: 'AUD', amount: '3.00', settle: 'immediately' };
    const d1 = await ctx.call('POST', '/api/v1/sandbox/deposits', { key, body: deposit, headers: { 'idempotency-key': 'dep-1' } });
    const d2 = await ctx.call('POST', '/api/v1/sandbox/deposits', { key, body: deposit, headers: { 'idempotency-key': 'dep-1' } });
    assert.equal(d2.body.id, d1.body.id);
    const v1 = await ctx.call('POST', `/api/v1/accounts/${account}/virtual-account`, { key, headers: { 'idempotency-key': 'van-1' } });
    const v2 = await ctx.call('POST', `/api/v1/accounts/${account}/virtual-account`, { key, headers: { 'idempotency-key': 'van-1' } });
    assert.equal(v1.status, 201, v1.raw);
    assert.equal(v2.status, 201);
    assert.equal(v2.body.id, v1.body.id);
  });
});

describe('Idempotency-Key on the operator API (/admin/v1 money writes)', () => {
  const operatorCall = (url: string, body: unknown, idempotencyKey?: string) =>
    ctx.call('POST', url, { body, headers: { authorization: `Bearer ${ctx.operatorToken}`, ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }) } });

  it('same key and body → the first answer replayed and the money moved once; another body → 422; 4xx replayed too', async () => {
    const receiver = await createTestConnectedAccount(ctx, platform, 'production');
    const body = { environment: 'production', account_id: receiver, currency: 'AUD', amount: '7.00', reference: 'op-stmt-1' };
    const first = await operatorCall('/admin/v1/deposits', body, 'op-dep-1');
    assert.equal(first.status, 201, first.raw);
    const replay = await operatorCall('/admin/v1/deposits', body, 'op-dep-1');
    assert.deepEqual([replay.status, replay.headers['idempotent-replayed'], replay.raw], [201, 'true', first.raw]);
    const balances = await ctx.call('GET', `/api/v1/accounts/${receiver}/wallet/balances`, { key: platform.keys.production });
    assert.equal(balances.body.data[0].available, '7.00');
    const reused = await operatorCall('/admin/v1/deposits', { ...body, amount: '8.00' }, 'op-dep-1');
    assert.deepEqual([reused.status, reused.body.error.code], [422, 'IDEMPOTENCY_KEY_REUSED']);
    // without the key, the reference still stops the second credit
    assert.equal((await operatorCall('/admin/v1/deposits', body)).body.error.code, 'DUPLICATE_REFERENCE');

    const unknown = { ...body, account_id: 'acct_unknown', reference: 'op-stmt-2' };
    assert.equal((await operatorCall('/admin/v1/deposits', unknown, 'op-dep-404')).status, 404);
    const unknownAgain = await operatorCall('/admin/v1/deposits', unknown, 'op-dep-404');
    assert.deepEqual([unknownAgain.status, unknownAgain.headers['idempotent-replayed']], [404, 'true']);
  });

  it("the operator's keys are its own, per environment: a platform's key or the other environment's is another key", async () => {
    const key = 'op-shared-key';
    const receiver = await createTestConnectedAccount(ctx, platform, 'production');
    const production = await operatorCall('/admin/v1/deposits', { environment: 'production', account_id: receiver, currency: 'AUD', amount: '1.00', reference: 'op-scope' }, key);
    assert.equal(production.status, 201, production.raw);
    const sandbox = await operatorCall('/admin/v1/deposits', { environment: 'sandbox', account_id: account, currency: 'AUD', amount: '1.00', reference: 'op-scope' }, key);
    assert.deepEqual([sandbox.status, sandbox.headers['idempotent-replayed']], [201, undefined]);
    const byPlatform = await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { destination_account_id: account, currency: 'AUD', amount: '0.01' }, headers: { 'idempotency-key': key } });
    assert.deepEqual([byPlatform.status, byPlatform.headers['idempotent-replayed']], [201, undefined]);
    const owners = await ctx.services.db.env('production').selectFrom('idempotency_keys').select('platform_id').where('key', '=', key).execute();
    assert.deepEqual(owners, [{ platform_id: 'operator' }]);
  });

  it('payout answers take a key as well (their retries are safe without one too: see ledger-payouts)', async () => {
    await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { destination_account_id: account, currency: 'AUD', amount: '2.00' } });
    const payout = await ctx.call('POST', '/api/v1/payouts', { key: platform.keys.sandbox, onBehalfOf: account, body: { currency: 'AUD', amount: '1.00', destination_type: 'bank_account', destination: bankDestination } });
    assert.equal(payout.status, 201, payout.raw);
    const url = `/admin/v1/payouts/${payout.body.id}/fail`;
    const first = await operatorCall(url, { environment: 'sandbox', reason: 'Closed' }, 'op-fail-1');
    const replay = await operatorCall(url, { environment: 'sandbox', reason: 'Closed' }, 'op-fail-1');
    assert.deepEqual([first.status, replay.status, replay.headers['idempotent-replayed'], replay.raw], [200, 200, 'true', first.raw]);
    assert.equal((await operatorCall(url, { environment: 'sandbox', reason: 'Other' }, 'op-fail-1')).body.error.code, 'IDEMPOTENCY_KEY_REUSED');
  });
});

describe('expiry', () => {
  it('the sweeper deletes records past their 24 hours and keeps the others', async () => {
    const { IdempotencySweeper } = await import('../src/domain/idempotency/sweeper.ts');
    const past = new Date(Date.now() - 1000);
    const tomorrow = new Date(Date.now() + 86_400_000);
    await ctx.services.db
      .env('sandbox')
      .insertInto('idempotency_keys')
      .values([
        { platform_id: platform.id, key: 'old', request_hash: 'x', claim_token: 't', locked_until: past, created_at: past, expires_at: past },
        { platform_id: platform.id, key: 'kept', request_hash: 'x', claim_token: 't', locked_until: past, created_at: past, expires_at: tomorrow },
      ])
      .execute();
    const deleted = await new IdempotencySweeper(ctx.services, () => undefined).runOnce();
    assert.ok(deleted >= 1);
    const left = await ctx.services.db.env('sandbox').selectFrom('idempotency_keys').select('key').where('platform_id', '=', platform.id).execute();
    assert.ok(!left.some((r) => r.key === 'old'));
    assert.ok(left.some((r) => r.key === 'kept'));
  });
});
