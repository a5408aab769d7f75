// The event-type catalogue tells the truth: every event the outbox holds after the real flows matches its type's schema.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Value from 'typebox/value';
import { eventCatalogue, eventTypes, type EventType } from '../src/domain/event-types.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext } from './support/context.ts';
import { bankDestination } from './support/ledger.ts';
import { activateTestCapability, approveTestAccount } from './support/onboarding.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

describe('event types', () => {
  it('every flow records events whose data matches the catalogue schema of their type, and every type occurs', async () => {
    const platform = await createTestPlatform(ctx);
    const key = platform.keys.sandbox;
    const account = await createTestConnectedAccount(ctx, platform);
    await approveTestAccount(ctx, platform, account);
    for (const capability of ['inbound_payments', 'payouts']) await activateTestCapability(ctx, platform, account, capability);
    const expectCreated = (result: { status: number; raw: string }) => assert.equal(result.status, 201, result.raw);
    expectCreated(await ctx.call('POST', '/api/v1/transfers', { key, body: { destination_account_id: account, currency: 'AUD', amount: '20.00', reference: 'fund' } }));
    expectCreated(await ctx.call('POST', '/api/v1/sandbox/deposits', { key, onBehalfOf: account, body: { currency: 'USDC', amount: '1.5', settle: 'immediately' } }));
    const payout = () => ctx.call('POST', '/api/v1/payouts', { key, onBehalfOf: account, body: { currency: 'AUD', amount: '1.00', destination_type: 'bank_account', destination: bankDestination } });
    for (const status of ['completed', 'failed']) {
      const created = await payout();
      expectCreated(created);
      const answered = await ctx.call('POST', `/api/v1/sandbox/payouts/${created.body.id}/simulate`, { key, body: { status } });
      assert.equal(answered.status, 200, answered.raw);
    }
    assert.equal((await ctx.admin('DELETE', `/admin/v1/keys/${platform.keyIds.production}`)).status, 200);

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
