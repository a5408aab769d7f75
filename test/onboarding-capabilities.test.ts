// Spec §4–§5 capabilities: list, activate, deactivate; the gate on receiving-details; platform capabilities by the operator.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeBase58 } from '../src/lib/base58.ts';
import { createTestConnectedAccount, startTestApp, type TestContext } from './support/context.ts';
import { activateTestCapability, approveTestAccount, submitTestKyc } from './support/onboarding.ts';
import { createSecurityFixture, type SecurityFixture } from './support/route-security.ts';

let ctx: TestContext;
let f: SecurityFixture;

before(async () => {
  ctx = await startTestApp();
  f = await createSecurityFixture(ctx);
});
after(() => ctx.close());


const key = () => f.platform.keys.sandbox;
const capabilityUrl = (account: string, name: string) => `/api/v1/accounts/${account}/capabilities/${name}`;
const activate = (account: string, name: string) => ctx.call('POST', capabilityUrl(account, name), { key: key() });
const deactivate = (account: string, name: string) => ctx.call('DELETE', capabilityUrl(account, name), { key: key() });
const receiving = (account: string, k = key()) => ctx.call('GET', `/api/v1/accounts/${account}/receiving-details`, { key: k, onBehalfOf: account });
const statusOf = (body: { data: { name: string; status: string }[] }, name: string) => body.data.find((c) => c.name === name)?.status;

function expectError(result: { status: number; body: any }, status: number, code: string): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(result.status, status, JSON.stringify(result.body));
  assert.equal(result.body.error.code, code);
}

describe('connected account capabilities', () => {
  it('all inactive at creation; the list shows the verification status and whether each can be activated', async () => {
    const account = await createTestConnectedAccount(ctx, f.platform);
    const list = await ctx.call('GET', `/api/v1/accounts/${account}/capabilities`, { key: key(), onBehalfOf: account });
    assert.equal(list.status, 200);
    assert.equal(list.body.verification_status, 'unverified');
    assert.deepEqual(list.body.data, [
      { name: 'inbound_payments', status: 'inactive', can_activate: false },
      { name: 'fx_conversion', status: 'inactive', can_activate: false },
      { name: 'payouts', status: 'inactive', can_activate: false },
    ]);
  });

  it('403 ACCOUNT_NOT_VERIFIED when activating on an unverified or pending account (detail: account_id, verification_status)', async () => {
    const account = await createTestConnectedAccount(ctx, f.platform);
    const unverified = await activate(account, 'payouts');
    expectError(unverified, 403, 'ACCOUNT_NOT_VERIFIED');
    assert.deepEqual(unverified.body.error.detail, { account_id: account, verification_status: 'unverified' });
    await submitTestKyc(ctx, f.platform, account);
    const pending = await activate(account, 'payouts');
    expectError(pending, 403, 'ACCOUNT_NOT_VERIFIED');
    assert.equal(pending.body.error.detail.verification_status, 'pending');
  });

  it('activate → 200 and visible at once on GET /account and GET /accounts/{id}; again → 409 CAPABILITY_ALREADY_ACTIVE', async () => {
    const account = await createTestConnectedAccount(ctx, f.platform);
    await approveTestAccount(ctx, f.platform, account);
    // prime the account directory so a stale cache would show
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: key(), onBehalfOf: account })).body.capabilities.payouts, 'inactive');
    const activated = await activate(account, 'payouts');
    assert.equal(activated.status, 200);
    assert.equal(statusOf(activated.body, 'payouts'), 'active');
    assert.equal(statusOf(activated.body, 'inbound_payments'), 'inactive');
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: key(), onBehalfOf: account })).body.capabilities.payouts, 'active');
    assert.equal((await ctx.call('GET', `/api/v1/accounts/${account}`, { key: key() })).body.capabilities.payouts, 'active');
    const again = await activate(account, 'payouts');
    expectError(again, 409, 'CAPABILITY_ALREADY_ACTIVE');
    assert.deepEqual(again.body.error.detail, { account_id: account, capability: 'payouts' });
  });

  it('deactivate → 200 and effective on the next request; again → 409 CAPABILITY_NOT_ACTIVE', async () => {
    const account = await createTestConnectedAccount(ctx, f.platform);
    await approveTestAccount(ctx, f.platform, account);
    await activateTestCapability(ctx, f.platform, account, 'inbound_payments');
    assert.equal((await receiving(account)).status, 200);
    const off = await deactivate(account, 'inbound_payments');
    assert.equal(off.status, 200);
    assert.equal(statusOf(off.body, 'inbound_payments'), 'inactive');
    const denied = await receiving(account);
    expectError(denied, 403, 'CAPABILITY_NOT_ACTIVATED');
    assert.deepEqual(denied.body.error.detail, { account_id: account, capability: 'inbound_payments' });
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: key(), onBehalfOf: account })).body.capabilities.inbound_payments, 'inactive');
    expectError(await deactivate(account, 'inbound_payments'), 409, 'CAPABILITY_NOT_ACTIVE');
  });

  it('every change records account.capability_updated in the outbox', async () => {
    const account = await createTestConnectedAccount(ctx, f.platform);
    await approveTestAccount(ctx, f.platform, account);
    await activate(account, 'fx_conversion');
    await deactivate(account, 'fx_conversion');
    const rows = await ctx.services.db.env('sandbox').selectFrom('events').selectAll()
      .where('account_id', '=', account).where('type', '=', 'account.capability_updated').orderBy('id').execute();
    assert.deepEqual(rows.map((r) => [r.data.capability, r.data.status, r.data.cause]), [
      ['fx_conversion', 'active', 'activated'],
      ['fx_conversion', 'inactive', 'deactivated'],
    ]);
  });

  it('400 UNKNOWN_CAPABILITY for a name that is not a capability', async () => {
    const account = await createTestConnectedAccount(ctx, f.platform);
    await approveTestAccount(ctx, f.platform, account);
    for (const name of ['card_issuing', 'PAYOUTS', 'payouts%20']) {
      const result = await activate(account, name);
      expectError(result, 400, 'UNKNOWN_CAPABILITY');
      assert.deepEqual(result.body.error.detail.known_capabilities, ['inbound_payments', 'fx_conversion', 'payouts']);
      expectError(await deactivate(account, name), 400, 'UNKNOWN_CAPABILITY');
    }
  });

  it("403 PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR when a key tries to change its own platform's capabilities", async () => {
    expectError(await deactivate(f.platform.id, 'payouts'), 403, 'PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR');
    expectError(await ctx.call('POST', capabilityUrl(f.platform.id, 'payouts'), { key: f.platform.keys.production }), 403, 'PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR');
  });
});

describe('GET /accounts/{id}/receiving-details', () => {
  it('per-account USDT and USDC Solana addresses: base58 of 32 bytes, stable, unique; aud null with a note until a virtual account exists', async () => {
    const accounts = [await createTestConnectedAccount(ctx, f.platform), await createTestConnectedAccount(ctx, f.platform)];
    const seen = new Set<string>();
    for (const account of accounts) {
      await approveTestAccount(ctx, f.platform, account);
      await activateTestCapability(ctx, f.platform, account, 'inbound_payments');
      const first = await receiving(account);
      assert.equal(first.status, 200, first.raw);
      assert.equal(first.body.account_id, account);
      assert.equal(first.body.aud, null);
      assert.match(first.body.aud_note, /virtual-account/);
      assert.deepEqual(first.body.crypto.map((c: { currency: string; network: string }) => [c.currency, c.network]), [['USDT', 'solana'], ['USDC', 'solana']]);
      for (const { address } of first.body.crypto) {
        assert.match(address, /^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
        assert.equal(decodeBase58(address)?.length, 32);
        assert.ok(!seen.has(address), 'addresses are unique');
        seen.add(address);
      }
      const second = await ctx.call('GET', `/api/v1/accounts/${account}/receiving-details`, { key: key() });
      assert.deepEqual(second.body.crypto, first.body.crypto, 'the platform sees the same addresses, every time');
    }
    const stored = await ctx.services.db.env('sandbox').selectFrom('receiving_addresses').selectAll().where('account_id', 'in', accounts).execute();
    assert.equal(stored.length, 4);
  });

  it('the platform itself has inbound_payments in sandbox by default and gets its own addresses', async () => {
    const result = await ctx.call('GET', `/api/v1/accounts/${f.platform.id}/receiving-details`, { key: key() });
    assert.equal(result.status, 200);
    assert.equal(result.body.crypto.length, 2);
  });
});

describe('platform capabilities (operator)', () => {
  const admin = (method: string, name: string, environment: string) =>
    method === 'POST'
      ? ctx.admin('POST', `/admin/v1/platforms/${f.platform.id}/capabilities/${name}`, { environment })
      : ctx.admin('DELETE', `/admin/v1/platforms/${f.platform.id}/capabilities/${name}?environment=${environment}`);

  it('enabling in production lets production keys use it at once; disabling takes effect on the next request', async () => {
    const production = f.platform.keys.production;
    const url = `/api/v1/accounts/${f.platform.id}/receiving-details`;
    expectError(await ctx.call('GET', url, { key: production }), 403, 'CAPABILITY_NOT_ACTIVATED');
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: production })).body.capabilities.inbound_payments, 'inactive');
    const enabled = await admin('POST', 'inbound_payments', 'production');
    assert.equal(enabled.status, 200, enabled.raw);
    assert.equal(statusOf(enabled.body, 'inbound_payments'), 'active');
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: production })).body.capabilities.inbound_payments, 'active');
    assert.equal((await ctx.call('GET', url, { key: production })).status, 200);
    // sandbox is a separate switch
    assert.equal((await ctx.call('GET', '/api/v1/account', { key: key() })).body.capabilities.inbound_payments, 'active');
    expectError(await admin('POST', 'inbound_payments', 'production'), 409, 'CAPABILITY_ALREADY_ACTIVE');
    const disabled = await admin('DELETE', 'inbound_payments', 'production');
    assert.equal(disabled.status, 200);
    expectError(await ctx.call('GET', url, { key: production }), 403, 'CAPABILITY_NOT_ACTIVATED');
    expectError(await admin('DELETE', 'inbound_payments', 'production'), 409, 'CAPABILITY_NOT_ACTIVE');
    const rows = await ctx.services.db.env('production').selectFrom('events').selectAll()
      .where('account_id', '=', f.platform.id).where('type', '=', 'account.capability_updated').execute();
    assert.deepEqual(rows.map((r) => [r.data.status, r.data.cause]), [['active', 'operator'], ['inactive', 'operator']]);
  });

  it('400 UNKNOWN_CAPABILITY, 404 PLATFORM_NOT_FOUND for a connected account or unknown id, 400 without an environment, 401 without the token', async () => {
    expectError(await admin('POST', 'teleport', 'sandbox'), 400, 'UNKNOWN_CAPABILITY');
    expectError(await ctx.admin('POST', `/admin/v1/platforms/${f.account}/capabilities/payouts`, { environment: 'sandbox' }), 404, 'PLATFORM_NOT_FOUND');
    expectError(await ctx.admin('POST', '/admin/v1/platforms/acct_nope/capabilities/payouts', { environment: 'sandbox' }), 404, 'PLATFORM_NOT_FOUND');
    const noEnv = await ctx.admin('POST', `/admin/v1/platforms/${f.platform.id}/capabilities/payouts`, {});
    expectError(noEnv, 400, 'INVALID_REQUEST');
    assert.equal(noEnv.body.error.detail.field, 'environment');
    expectError(await ctx.call('POST', `/admin/v1/platforms/${f.platform.id}/capabilities/payouts`, { key: key(), body: { environment: 'sandbox' } }), 401, 'OPERATOR_TOKEN_INVALID');
  });
});
