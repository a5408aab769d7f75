// Idempotency guarantees that no other test pinned down (issue 9, part 5): each test here was checked to fail with one
// deliberate break of the code (the "mutant" named in its title) and to pass without it, on PGlite and on PostgreSQL.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { failingTransaction, heldTransaction, withTransactionFault } from './support/faults.ts';
import { approveAccount, bankDestination } from './support/ledger.ts';

// A claim lapses 1 ms after it is taken, so a retry may take over a request that is still running (as one would after
// PIK_IDEMPOTENCY_LOCK_SECONDS in production); the tests below never depend on a request finishing within that time.
const claimTtlMs = 1;

let ctx: TestContext;
let platform: TestPlatform;
let accountA: string;
let accountB: string;

before(async () => {
  ctx = await startTestApp({ idempotencyClaimTtlMs: claimTtlMs });
  platform = await createTestPlatform(ctx);
  accountA = await createTestConnectedAccount(ctx, platform);
  accountB = await createTestConnectedAccount(ctx, platform);
  for (const account of [accountA, accountB]) {
    await approveAccount(ctx, 'sandbox', account);
    const funded = await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { destination_account_id: account, currency: 'AUD', amount: '10.00' } });
    assert.equal(funded.status, 201, funded.raw);
  }
});
after(() => ctx.close());

const sandbox = () => ctx.services.db.env('sandbox');

const available = async (account: string): Promise<bigint> =>
  (await sandbox().selectFrom('ledger_balances').select('available').where('ledger_account', '=', account).where('currency', '=', 'AUD').executeTakeFirst())
    ?.available ?? 0n;

/** Transfers of this platform with this amount (minor units): each test uses its own amount, so a duplicate shows. */
const transfersOf = async (amount: bigint) =>
  sandbox().selectFrom('transfers').select(['id']).where('platform_id', '=', platform.id).where('amount', '=', amount).execute();

const transfer = (idempotencyKey: string, amount: string) =>
  ctx.call('POST', '/api/v1/transfers', {
    key: platform.keys.sandbox,
    body: { destination_account_id: accountA, currency: 'AUD', amount },
    headers: { 'idempotency-key': idempotencyKey },
  });

describe('the acting account is part of the request (mutant: x-on-behalf-of dropped from the request hash)', () => {
  it('one key and one body, for connected account A and then for B or the platform → 422 IDEMPOTENCY_KEY_REUSED, never A’s answer', async () => {
    const body = { currency: 'AUD', amount: '1.23', destination_type: 'bank_account', destination: bankDestination };
    const headers = { 'idempotency-key': 'obo-payout-1' };
    const forA = await ctx.call('POST', '/api/v1/payouts', { key: platform.keys.sandbox, onBehalfOf: accountA, body, headers });
    assert.equal(forA.status, 201, forA.raw);
    const balanceB = await available(accountB);

    const forB = await ctx.call('POST', '/api/v1/payouts', { key: platform.keys.sandbox, onBehalfOf: accountB, body, headers });
    assert.equal(forB.status, 422, `B must not receive A's payout as its own answer: ${forB.raw}`);
    assert.equal(forB.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal(forB.headers['idempotent-replayed'], undefined);
    const forPlatform = await ctx.call('POST', '/api/v1/payouts', { key: platform.keys.sandbox, body, headers });
    assert.equal(forPlatform.status, 422, forPlatform.raw);
    assert.equal(forPlatform.body.error.code, 'IDEMPOTENCY_KEY_REUSED');

    // nothing moved for B, and A's own retry is still a replay of A's payout
    assert.equal(await available(accountB), balanceB);
    assert.deepEqual(await sandbox().selectFrom('payouts').select('id').where('account_id', '=', accountB).execute(), []);
    const againA = await ctx.call('POST', '/api/v1/payouts', { key: platform.keys.sandbox, onBehalfOf: accountA, body, headers });
    assert.equal(againA.headers['idempotent-replayed'], 'true');
    assert.equal(againA.body.id, forA.body.id);
  });
});

describe('our failures are not answers (mutant: a 5xx stored for replay instead of releasing the key)', () => {
  it('a request that fails with a 500 on our side frees its key: the retry runs afresh and succeeds, once', async () => {
    const failed = await withTransactionFault(ctx.services.db, failingTransaction(), () => transfer('fails-then-succeeds', '0.07'));
    assert.equal(failed.status, 500, failed.raw);
    assert.equal(failed.body.error.code, 'INTERNAL_ERROR');
    assert.deepEqual(await transfersOf(7n), [], 'the failed request moved nothing');

    const retry = await transfer('fails-then-succeeds', '0.07');
    assert.equal(retry.status, 201, `the retry must run again, not replay the 500: ${retry.raw}`);
    assert.equal(retry.headers['idempotent-replayed'], undefined);
    const replay = await transfer('fails-then-succeeds', '0.07');
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.body.id, retry.body.id);
    assert.equal((await transfersOf(7n)).length, 1);
  });
});

describe('the key is marked applied in the movement’s own commit (mutant: recordIdempotentResponse marks and stores nothing)', () => {
  it('a request that outlived its claim and was taken over by a retry cannot also apply: one movement, the late one gets 409', async () => {
    const balanceBefore = await available(accountA);
    const hold = heldTransaction('open');
    // The first request claims the key, then stalls before its transaction (a slow node, a GC pause, a lost connection)…
    const slow = withTransactionFault(ctx.services.db, hold.fault, () => transfer('outlived-claim', '0.11'));
    await hold.reached;
    await sleep(claimTtlMs + 5); // …past its claim, so the retry below takes the key over (no assertion depends on time)
    const retry = await transfer('outlived-claim', '0.11');
    assert.equal(retry.status, 201, retry.raw);
    assert.equal(retry.headers['idempotent-replayed'], undefined, 'the retry took the claim over and ran');
    // …and then the first one wakes up and tries to commit its own movement.
    hold.release();
    const late = await slow;
    assert.equal(late.status, 409, `the request whose claim was taken over must not apply: ${late.raw}`);
    assert.equal(late.body.error.code, 'IDEMPOTENCY_KEY_IN_USE');

    assert.deepEqual((await transfersOf(11n)).map((t) => t.id), [retry.body.id], 'exactly one movement for the key');
    assert.equal(await available(accountA), balanceBefore + 11n);
    const replay = await transfer('outlived-claim', '0.11');
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.body.id, retry.body.id);
  });

  it('a request that was applied but whose answer was never stored is not run again by a retry after its claim lapsed', async () => {
    const first = await transfer('applied-unanswered', '0.13');
    assert.equal(first.status, 201, first.raw);
    // The server stopped between committing the movement and storing the answer: the record has no response.
    await sandbox()
      .updateTable('idempotency_keys')
      .set({ response_status: null, response_body: null })
      .where('platform_id', '=', platform.id)
      .where('key', '=', 'applied-unanswered')
      .execute();
    await sleep(claimTtlMs + 5); // the claim has lapsed: only the "applied" mark can keep a retry from running again

    const retry = await transfer('applied-unanswered', '0.13');
    assert.equal(retry.status, 409, `an applied request must never run twice: ${retry.raw}`);
    assert.equal(retry.body.error.code, 'IDEMPOTENCY_KEY_IN_USE');
    assert.equal(retry.body.error.detail.applied, true);
    assert.deepEqual((await transfersOf(13n)).map((t) => t.id), [first.body.id]);
  });
});
