// Idempotency-Key claims are leases (issue 17, part 3): the claim of a request whose process died — or whose key could
// not be freed because the database was away — blocks retries for at most PIK_IDEMPOTENCY_LEASE_SECONDS, not the 60 s
// of PIK_IDEMPOTENCY_LOCK_SECONDS; a request still running keeps its claim, renewed, up to that longer bound.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { claimIdempotencyKey, hashRequest } from '../src/domain/idempotency/idempotency.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { heldTransaction, withTransactionFault } from './support/faults.ts';

const leaseMs = 600;
let ctx: TestContext;
let platform: TestPlatform;
let account: string;

before(async () => {
  ctx = await startTestApp({ idempotencyLeaseMs: leaseMs, idempotencyClaimTtlMs: 60_000 });
  platform = await createTestPlatform(ctx);
  account = await createTestConnectedAccount(ctx, platform);
  assert.equal((await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { destination_account_id: account, currency: 'AUD', amount: '1.00' } })).status, 201);
});
after(() => ctx.close());

const body = (amount: string) => ({ destination_account_id: account, currency: 'AUD', amount });
const transfer = (idempotencyKey: string, amount: string) =>
  ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: body(amount), headers: { 'idempotency-key': idempotencyKey } });

describe('a claim nobody renews (its process died after claiming, before its unit of work)', () => {
  it('blocks a retry with 409 and Retry-After for at most the lease; then the retry runs, once', async () => {
    // The claim exactly as the route takes it, by a "process" that then dies: nobody holds its lease.
    const hash = hashRequest({ method: 'POST', path: '/api/v1/transfers', accountId: platform.id, body: body('0.42') });
    const claimed = await claimIdempotencyKey(ctx.services, { environment: 'sandbox', platformId: platform.id }, 'orphan-1', hash);
    assert.equal(claimed.kind, 'proceed');

    const blocked = await transfer('orphan-1', '0.42');
    assert.equal(blocked.status, 409, blocked.raw);
    assert.equal(blocked.body.error.code, 'IDEMPOTENCY_KEY_IN_USE');
    assert.equal(blocked.body.error.detail.applied, false);
    assert.equal(blocked.headers['retry-after'], '1', 'retry once the lease lapses, within a second here');

    await sleep(leaseMs + 100);
    const retry = await transfer('orphan-1', '0.42');
    assert.equal(retry.status, 201, `taken over after the lease, not after PIK_IDEMPOTENCY_LOCK_SECONDS: ${retry.raw}`);
    assert.equal((await transfer('orphan-1', '0.42')).headers['idempotent-replayed'], 'true');
  });
});

describe('a claim whose request is still running', () => {
  it('is renewed past its lease while the request runs (a retry gets 409), and the request then commits with its answer', async () => {
    const hold = heldTransaction('open');
    const slow = withTransactionFault(ctx.services.db, hold.fault, () => transfer('running-1', '0.43'));
    await hold.reached;
    await sleep(leaseMs * 3); // several leases: only renewal keeps it
    const retry = await transfer('running-1', '0.43');
    assert.equal(retry.status, 409, `a live request keeps its key: ${retry.raw}`);
    assert.equal(retry.body.error.code, 'IDEMPOTENCY_KEY_IN_USE');
    hold.release();
    const first = await slow;
    assert.equal(first.status, 201, first.raw);
    const replay = await transfer('running-1', '0.43');
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.body.id, first.body.id);
    assert.equal(ctx.services.idempotencyLeases.size, 0, 'no lease is held once the requests have answered');
  });
});
