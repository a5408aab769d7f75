// The event-type catalogue tells the truth: every event the outbox holds after the real flows matches its type's schema.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Value from 'typebox/value';
import { loadConfig } from '../src/config.ts';
import { eventCatalogue, eventTypes, type EventType } from '../src/domain/event-types.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext } from './support/context.ts';
import { bankDestination } from './support/ledger.ts';
import { activateTestCapability, approveTestAccount } from './support/onboarding.ts';

let ctx: TestContext;
before(async () => {
  // A dead endpoint is disabled at its first failure here, so webhook_endpoint.disabled occurs too.
  ctx = await startTestApp({ webhooks: { ...loadConfig({}).webhooks, allowSandboxLoopback: true, timeoutMs: 300, retryScheduleMs: [60_000], disableAfterMs: 1, pollMs: 50 } });
});
after(() => ctx.close());

describe('event types', () => {
  it('every flow records events whose data matches the catalogue schema of their type, and every type occurs', async () => {
    const platform = await createTestPlatform(ctx);
    const key = platform.keys.sandbox;
    const dead = await ctx.call('POST', '/api/v1/webhooks', { key, body: { url: 'http://127.0.0.1:1/closed', events: ['account.created'] } });
    assert.equal(dead.status, 201, dead.raw);
    const account = await createTestConnectedAccount(ctx, platform);
    const renamed = await ctx.call('PATCH', `/api/v1/accounts/${account}`, { key, body: { display_name: 'Renamed', metadata: { tier: 'gold' } } });
    assert.equal(renamed.status, 200, renamed.raw);
    const tested = await ctx.call('POST', '/api/v1/webhooks', { key, body: { url: 'http://127.0.0.1:1/other', events: ['payout.failed'] } });
    assert.equal((await ctx.call('POST', `/api/v1/webhooks/${tested.body.id}/test`, { key })).status, 202);
    await approveTestAccount(ctx, platform, account);
    for (const capability of ['inbound_payments', 'payouts', 'fx_conversion']) await activateTestCapability(ctx, platform, account, capability);
    const expectCreated = (result: { status: number; raw: string }) => assert.equal(result.status, 201, result.raw);
    expectCreated(await ctx.call('POST', '/api/v1/transfers', { key, body: { destination_account_id: account, currency: 'AUD', amount: '20.00', reference: 'fund' } }));
    expectCreated(await ctx.call('POST', '/api/v1/sandbox/deposits', { key, onBehalfOf: account, body: { currency: 'USDC', amount: '1.5', settle: 'immediately' } }));
    expectCreated(await ctx.call('POST', '/api/v1/fx/conversions', { key, onBehalfOf: account, body: { sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '5.00', conversion_type: 'rate' } }));
    const payout = () => ctx.call('POST', '/api/v1/payouts', { key, onBehalfOf: account, body: { currency: 'AUD', amount: '1.00', destination_type: 'bank_account', destination: bankDestination } });
    for (const status of ['completed', 'failed']) {
      const created = await payout();
      expectCreated(created);
      const answered = await ctx.call('POST', `/api/v1/sandbox/payouts/${created.body.id}/simulate`, { key, body: { status } });
      assert.equal(answered.status, 200, answered.raw);
    }
    assert.equal((await ctx.admin('DELETE', `/admin/v1/keys/${platform.keyIds.production}`)).status, 200);
    // Keys: one expiring within 7 days, one rolled with no grace (expired at once), one seen in a URL (exposed).
    const keyFor = (body: Record<string, unknown>) => ctx.admin('POST', `/admin/v1/platforms/${platform.id}/keys`, { environment: 'sandbox', ...body });
    expectCreated(await keyFor({ expires_at: new Date(Date.now() + 3 * 86_400_000).toISOString() }));
    const rolled = await keyFor({});
    expectCreated(await ctx.admin('POST', `/admin/v1/keys/${rolled.body.id}/roll`, { expires_in_seconds: 0 }));
    await ctx.services.keyExpiry.runOnce();
    assert.equal((await ctx.call('GET', `/api/v1/account?api_key=${rolled.body.secret}`, { key })).status, 400);
    // Payment links: underpaid, then settled; overpaid; expired and cancelled.
    const link = (body: Record<string, unknown>) => ctx.call('POST', '/api/v1/payment-links', { key, onBehalfOf: account, body: { amount_type: 'fixed', currency: 'USDC', amount: '2.000000', ...body } });
    const simulate = async (paymentId: string, status: string) => assert.equal((await ctx.call('POST', `/api/v1/sandbox/payments/${paymentId}/simulate`, { key, onBehalfOf: account, body: { status } })).status, 200);
    const [first, second, third] = [await link({ reference: 'EV-1' }), await link({ reference: 'EV-2' }), await link({ reference: 'EV-3', webhook_url: 'https://hooks.example.com/ev' })];
    for (const created of [first, second, third]) expectCreated(created);
    await simulate(first.body.open_payment_id, 'underpaid');
    await simulate(first.body.open_payment_id, 'settled');
    await simulate(second.body.open_payment_id, 'overpaid');
    await simulate(third.body.open_payment_id, 'expired');
    assert.equal((await ctx.call('DELETE', `/api/v1/payment-links/${first.body.id}`, { key, onBehalfOf: account })).status, 200);

    // The worker disables the dead endpoint after its first failed attempt.
    for (let i = 0; i < 500 && (await ctx.call('GET', '/api/v1/events?type=webhook_endpoint.disabled', { key })).body.data.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }

    const events = [];
    for (const environment of ['sandbox', 'production'] as const) {
      events.push(...(await ctx.services.db.env(environment).selectFrom('events').select(['type', 'data']).where('platform_id', '=', platform.id).execute()));
    }
    for (const event of events) {
      assert.ok(Object.hasOwn(eventCatalogue, event.type), `${event.type} is not in the catalogue`);
      const schema = eventCatalogue[event.type as EventType].data;
      assert.ok(Value.Check(schema, event.data), `${event.type}: ${JSON.stringify([...Value.Errors(schema, event.data)].slice(0, 3))}`);
    }
    assert.deepEqual([...new Set(events.map((e) => e.type))].sort(), [...eventTypes].sort());
  });
});
