// Spec §4: the verification state machine — submission, sandbox decisions, 409s, withdrawal, events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestConnectedAccount, startTestApp, type TestContext } from './support/context.ts';
import { activateTestCapability, approveTestAccount, submitTestKyc, validKyc } from './support/onboarding.ts';
import { createSecurityFixture, type SecurityFixture } from './support/route-security.ts';

let ctx: TestContext;
let f: SecurityFixture;

before(async () => {
  ctx = await startTestApp();
  f = await createSecurityFixture(ctx);
});
after(() => ctx.close());

const key = () => f.platform.keys.sandbox;
const newAccount = () => createTestConnectedAccount(ctx, f.platform, 'sandbox');
const verification = (account: string, onBehalfOf?: string) =>
  ctx.call('GET', `/api/v1/accounts/${account}/verification`, { key: key(), onBehalfOf });
const decide = (account: string, body: Record<string, unknown>) =>
  ctx.call('POST', `/api/v1/sandbox/accounts/${account}/verification`, { key: key(), body });
const submit = (account: string) => ctx.call('POST', `/api/v1/accounts/${account}/kyc`, { key: key(), body: validKyc() });
const events = (account: string, type: string) =>
  ctx.services.db.env('sandbox').selectFrom('events').selectAll().where('account_id', '=', account).where('type', '=', type).orderBy('id').execute();

function expectError(result: { status: number; body: any }, status: number, code: string): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(result.status, status, JSON.stringify(result.body));
  assert.equal(result.body.error.code, code);
}

describe('GET /accounts/{id}/verification', () => {
  it('an unverified account: nothing submitted, kyc currently due, a next step', async () => {
    const account = await newAccount();
    const result = await verification(account);
    assert.equal(result.status, 200);
    assert.equal(result.body.status, 'unverified');
    assert.equal(result.body.kind, 'kyc');
    assert.equal(result.body.submitted_at, null);
    assert.equal(result.body.decided_at, null);
    assert.equal(result.body.identity, null);
    assert.deepEqual(result.body.requirements, { currently_due: ['kyc'], in_review: [] });
    assert.match(result.body.next_step, new RegExp(`/accounts/${account}/kyc`));
  });

  it('works with x-on-behalf-of (the connected account reads its own verification) and for the platform itself', async () => {
    const account = await newAccount();
    assert.equal((await verification(account, account)).body.status, 'unverified');
    const own = await verification(f.platform.id);
    assert.equal(own.status, 200);
    assert.equal(own.body.status, 'approved');
    assert.deepEqual(own.body.requirements, { currently_due: [], in_review: [] });
  });
});

describe('the state machine', () => {
  it('unverified → pending → approved, with times, decider and an event per step', async () => {
    const account = await newAccount();
    const before = Date.now();
    const submitted = await submit(account);
    assert.equal(submitted.status, 200);
    assert.equal(submitted.body.status, 'pending');
    assert.ok(Date.parse(submitted.body.submitted_at) >= before - 1000);
    assert.deepEqual(submitted.body.requirements, { currently_due: [], in_review: ['kyc'] });
    const approved = await decide(account, { status: 'approved', reason: 'Documents match.' });
    assert.equal(approved.status, 200);
    assert.equal(approved.body.status, 'approved');
    assert.equal(approved.body.reason, 'Documents match.');
    assert.equal(approved.body.decided_by, 'sandbox');
    assert.ok(Date.parse(approved.body.decided_at) >= Date.parse(approved.body.submitted_at));
    const read = await ctx.call('GET', `/api/v1/accounts/${account}`, { key: key() });
    assert.equal(read.body.verification_status, 'approved', 'GET /accounts/{id} reflects the decision at once');
    const own = await ctx.call('GET', '/api/v1/account', { key: key(), onBehalfOf: account });
    assert.equal(own.body.verification_status, 'approved');
    const recorded = await events(account, 'account.verification_updated');
    assert.deepEqual(
      recorded.map((e) => [e.data.previous_status, e.data.verification_status]),
      [['unverified', 'pending'], ['pending', 'approved']],
    );
    assert.equal(recorded[1]?.data.reason, 'Documents match.');
    assert.equal(recorded[1]?.platform_id, f.platform.id);
    assert.ok(!JSON.stringify(recorded.map((e) => e.data)).includes('PA1234567'), 'events carry no identity data');
  });

  it('action_required carries a reason and asks for resubmission; resubmitting goes back to pending', async () => {
    const account = await newAccount();
    await submitTestKyc(ctx, f.platform, account);
    const sentBack = await decide(account, { status: 'action_required', reason: 'The passport photo is unreadable.' });
    assert.equal(sentBack.body.status, 'action_required');
    assert.equal(sentBack.body.reason, 'The passport photo is unreadable.');
    assert.deepEqual(sentBack.body.requirements, { currently_due: ['kyc'], in_review: [] });
    const again = await submit(account);
    assert.equal(again.status, 200);
    assert.equal(again.body.status, 'pending');
    assert.equal(again.body.submission_count, 2);
    assert.equal(again.body.reason, null);
    assert.equal(again.body.decided_at, null);
  });

  it('a decision without a reason gets a default one when it is not an approval', async () => {
    const account = await newAccount();
    await submitTestKyc(ctx, f.platform, account);
    const rejected = await decide(account, { status: 'rejected' });
    assert.equal(rejected.body.status, 'rejected');
    assert.match(rejected.body.reason, /could not be verified/);
  });

  it('409 VERIFICATION_ALREADY_SUBMITTED while pending or approved; 409 VERIFICATION_REJECTED after rejection', async () => {
    const account = await newAccount();
    await submitTestKyc(ctx, f.platform, account);
    expectError(await submit(account), 409, 'VERIFICATION_ALREADY_SUBMITTED');
    await decide(account, { status: 'approved' });
    const approvedSubmit = await submit(account);
    expectError(approvedSubmit, 409, 'VERIFICATION_ALREADY_SUBMITTED');
    assert.equal(approvedSubmit.body.error.detail.verification_status, 'approved');
    const rejected = await newAccount();
    await submitTestKyc(ctx, f.platform, rejected);
    await decide(rejected, { status: 'rejected' });
    expectError(await submit(rejected), 409, 'VERIFICATION_REJECTED');
  });

  it('409 VERIFICATION_NOT_PENDING for a decision the current status does not allow', async () => {
    const unverified = await newAccount();
    for (const status of ['approved', 'rejected', 'action_required']) {
      const result = await decide(unverified, { status });
      expectError(result, 409, 'VERIFICATION_NOT_PENDING');
      assert.deepEqual(result.body.error.detail, { account_id: unverified, verification_status: 'unverified', requested_status: status });
    }
    const approved = await newAccount();
    await approveTestAccount(ctx, f.platform, approved);
    expectError(await decide(approved, { status: 'approved' }), 409, 'VERIFICATION_NOT_PENDING');
    const rejected = await newAccount();
    await submitTestKyc(ctx, f.platform, rejected);
    await decide(rejected, { status: 'rejected' });
    for (const status of ['approved', 'rejected', 'action_required']) expectError(await decide(rejected, { status }), 409, 'VERIFICATION_NOT_PENDING');
    const waiting = await newAccount();
    await submitTestKyc(ctx, f.platform, waiting);
    await decide(waiting, { status: 'action_required' });
    expectError(await decide(waiting, { status: 'approved' }), 409, 'VERIFICATION_NOT_PENDING');
  });

  it('400 for an unknown decision status or an overlong reason, naming the field', async () => {
    const account = await newAccount();
    await submitTestKyc(ctx, f.platform, account);
    const unknown = await decide(account, { status: 'maybe' });
    expectError(unknown, 400, 'INVALID_REQUEST');
    assert.equal(unknown.body.error.detail.field, 'status');
    const long = await decide(account, { status: 'rejected', reason: 'x'.repeat(501) });
    expectError(long, 400, 'INVALID_REQUEST');
    assert.equal(long.body.error.detail.field, 'reason');
    for (const reason of ['bad\u0000reason', 'lone \ud800 surrogate']) {
      const weird = await decide(account, { status: 'rejected', reason });
      expectError(weird, 400, 'INVALID_REQUEST');
      assert.equal(weird.body.error.detail.field, 'reason');
    }
    const extra = await decide(account, { status: 'approved', note: 'x' });
    assert.equal(extra.body.error.detail.field, 'note');
    assert.equal((await verification(account)).body.status, 'pending');
  });

  it("403 PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR for a sandbox decision on the platform's own account", async () => {
    expectError(await decide(f.platform.id, { status: 'rejected' }), 403, 'PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR');
    assert.equal((await verification(f.platform.id)).body.status, 'approved');
  });
});

describe('withdrawing an approval', () => {
  for (const status of ['rejected', 'action_required'] as const) {
    it(`approved → ${status} switches every capability off in the same transaction, with events, effective at once`, async () => {
      const account = await newAccount();
      await approveTestAccount(ctx, f.platform, account);
      await activateTestCapability(ctx, f.platform, account, 'inbound_payments');
      await activateTestCapability(ctx, f.platform, account, 'payouts');
      const details = await ctx.call('GET', `/api/v1/accounts/${account}/receiving-details`, { key: key(), onBehalfOf: account });
      assert.equal(details.status, 200);

      const withdrawn = await decide(account, { status, reason: 'Sanctions screening hit.' });
      assert.equal(withdrawn.status, 200);
      assert.equal(withdrawn.body.status, status);
      const read = await ctx.call('GET', '/api/v1/account', { key: key(), onBehalfOf: account });
      assert.equal(read.body.verification_status, status);
      assert.deepEqual(read.body.capabilities, { inbound_payments: 'inactive', fx_conversion: 'inactive', payouts: 'inactive' });
      const denied = await ctx.call('GET', `/api/v1/accounts/${account}/receiving-details`, { key: key(), onBehalfOf: account });
      expectError(denied, 403, 'ACCOUNT_NOT_VERIFIED');
      assert.deepEqual(denied.body.error.detail, { account_id: account, verification_status: status });

      const capabilityEvents = await events(account, 'account.capability_updated');
      const off = capabilityEvents.filter((e) => e.data.cause === 'verification_withdrawn');
      assert.deepEqual(off.map((e) => e.data.capability).sort(), ['inbound_payments', 'payouts']);
      for (const e of off) assert.equal(e.data.status, 'inactive');
      const verificationEvents = await events(account, 'account.verification_updated');
      assert.deepEqual(verificationEvents.at(-1)?.data.previous_status, 'approved');
    });
  }

  it('an action_required withdrawal can be resubmitted and approved again; capabilities stay off until reactivated', async () => {
    const account = await newAccount();
    await approveTestAccount(ctx, f.platform, account);
    await activateTestCapability(ctx, f.platform, account, 'fx_conversion');
    await decide(account, { status: 'action_required' });
    await submitTestKyc(ctx, f.platform, account);
    await decide(account, { status: 'approved' });
    const read = await ctx.call('GET', `/api/v1/accounts/${account}/capabilities`, { key: key() });
    assert.equal(read.body.verification_status, 'approved');
    assert.ok(read.body.data.every((c: { status: string }) => c.status === 'inactive'));
  });
});
