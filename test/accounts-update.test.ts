// PATCH /api/v1/accounts/{id}: display_name, email, reference_id (unique: 409) and metadata (merged), with its
// account.updated event, idempotency, and the scoping every account route has.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { expectError } from './support/fx.ts';

let ctx: TestContext;
let platform: TestPlatform;
let other: TestPlatform;

before(async () => {
  ctx = await startTestApp();
  [platform, other] = [await createTestPlatform(ctx), await createTestPlatform(ctx)];
});
after(() => ctx.close());

const patch = (id: string, body: unknown, options: { p?: TestPlatform; onBehalfOf?: string; environment?: 'sandbox' | 'production'; headers?: Record<string, string> } = {}) =>
  ctx.call('PATCH', `/api/v1/accounts/${id}`, { key: (options.p ?? platform).keys[options.environment ?? 'sandbox'], onBehalfOf: options.onBehalfOf, body, headers: options.headers });

async function eventsOf(accountId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const events = await ctx.call('GET', '/api/v1/events?type=account.updated&limit=100', { key: platform.keys.sandbox });
  return events.body.data.filter((e: { account_id: string }) => e.account_id === accountId);
}

describe('PATCH /api/v1/accounts/{id}', () => {
  it('200: changes display_name, email, reference_id and metadata; GET shows them; one account.updated event names what changed', async () => {
    const id = await createTestConnectedAccount(ctx, platform, 'sandbox', { reference_id: 'cust-1', metadata: { plan: 'basic', region: 'au' } });
    const result = await patch(id, { display_name: 'Jane’s Shop 🛍', email: ' Jane@Example.TEST ', reference_id: 'cust-1b', metadata: { plan: 'pro', region: null, since: '2026' } });
    assert.equal(result.status, 200, result.raw);
    assert.equal(result.body.display_name, 'Jane’s Shop 🛍');
    assert.equal(result.body.email, 'jane@example.test');
    assert.equal(result.body.reference_id, 'cust-1b');
    assert.deepEqual(result.body.metadata, { plan: 'pro', since: '2026' });
    const read = await ctx.call('GET', `/api/v1/accounts/${id}`, { key: platform.keys.sandbox });
    assert.deepEqual(read.body, result.body, 'the directory dropped its cached row');
    const events = await eventsOf(id);
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]?.data, {
      account_id: id,
      changed_fields: ['display_name', 'email', 'reference_id', 'metadata'],
      display_name: 'Jane’s Shop 🛍',
      reference_id: 'cust-1b',
      metadata: { plan: 'pro', since: '2026' },
    });
    assert.ok(!JSON.stringify(events[0]).includes('jane@example.test'), 'no email in the event');
  });

  it('200: null clears display_name, reference_id and all metadata; a patch that changes nothing records no event', async () => {
    const id = await createTestConnectedAccount(ctx, platform, 'sandbox', { reference_id: 'cust-2', display_name: 'Two', metadata: { a: '1' } });
    const cleared = await patch(id, { display_name: null, reference_id: null, metadata: null });
    assert.equal(cleared.status, 200, cleared.raw);
    assert.equal(cleared.body.display_name, null);
    assert.equal(cleared.body.reference_id, null);
    assert.deepEqual(cleared.body.metadata, {});
    const same = await patch(id, { display_name: null, metadata: { gone: null } });
    assert.equal(same.status, 200, same.raw);
    assert.equal((await patch(id, {})).status, 200);
    assert.equal((await eventsOf(id)).length, 1);
    // The freed reference_id can be taken by another account.
    const again = await createTestConnectedAccount(ctx, platform, 'sandbox', { reference_id: 'cust-2' });
    assert.ok(again);
  });

  it('400: bad fields, unknown fields, and metadata errors name the key (lengths in code points)', async () => {
    const id = await createTestConnectedAccount(ctx, platform);
    expectError(await patch(id, { email: 'not an email' }), 400, 'INVALID_REQUEST', 'email');
    expectError(await patch(id, { reference_id: 'has space' }), 400, 'INVALID_REQUEST', 'reference_id');
    expectError(await patch(id, { display_name: '   ' }), 400, 'INVALID_REQUEST', 'display_name');
    expectError(await patch(id, { country: 'NZ' }), 400, 'INVALID_REQUEST', 'country');
    expectError(await patch(id, { metadata: { ['k'.repeat(41)]: 'v' } }), 400, 'INVALID_REQUEST', `metadata.${'k'.repeat(41)}`);
    expectError(await patch(id, { metadata: { long: 'v'.repeat(501) } }), 400, 'INVALID_REQUEST', 'metadata.long');
    expectError(await patch(id, { metadata: { num: 5 } }), 400, 'INVALID_REQUEST', 'metadata.num');
    expectError(await patch(id, { metadata: ['a'] }), 400, 'INVALID_REQUEST', 'metadata');
    const emoji = await patch(id, { display_name: '🙂'.repeat(200), metadata: { ['🔑'.repeat(40)]: '🙂'.repeat(500) } });
    assert.equal(emoji.status, 200, emoji.raw);
    expectError(await patch(id, { display_name: '🙂'.repeat(201) }), 400, 'INVALID_REQUEST', 'display_name');
    // 20 keys at most after the merge.
    const twenty = Object.fromEntries(Array.from({ length: 19 }, (_, i) => [`k${i}`, 'v']));
    assert.equal((await patch(id, { metadata: twenty })).status, 200);
    expectError(await patch(id, { metadata: { k19: 'v', k20: 'v' } }), 400, 'INVALID_REQUEST', 'metadata');
    assert.equal((await patch(id, { metadata: { k0: null, k20: 'v' } })).status, 200);
  });

  it('409 REFERENCE_ID_CONFLICT: another account of the platform has it; other platforms and environments do not count', async () => {
    await createTestConnectedAccount(ctx, platform, 'sandbox', { reference_id: 'taken' });
    await createTestConnectedAccount(ctx, other, 'sandbox', { reference_id: 'theirs' });
    await createTestConnectedAccount(ctx, platform, 'production', { reference_id: 'prod-only' });
    const id = await createTestConnectedAccount(ctx, platform);
    expectError(await patch(id, { reference_id: 'taken' }), 409, 'REFERENCE_ID_CONFLICT', 'reference_id');
    assert.equal((await patch(id, { reference_id: 'theirs' })).status, 200);
    assert.equal((await patch(id, { reference_id: 'prod-only' })).status, 200);
  });

  it('two accounts claiming one reference_id at once: exactly one wins, the other is 409', async () => {
    const [one, two] = [await createTestConnectedAccount(ctx, platform), await createTestConnectedAccount(ctx, platform)];
    const results = await Promise.all([patch(one, { reference_id: 'race' }), patch(two, { reference_id: 'race' })]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409], results.map((r) => r.raw).join('\n'));
    const listed = await ctx.call('GET', '/api/v1/accounts?reference_id=race', { key: platform.keys.sandbox });
    assert.equal(listed.body.data.length, 1);
  });

  it('403 PLATFORM_SCOPE_REQUIRED with x-on-behalf-of; 403 for the platform account itself', async () => {
    const id = await createTestConnectedAccount(ctx, platform);
    expectError(await patch(id, { display_name: 'X' }, { onBehalfOf: id }), 403, 'PLATFORM_SCOPE_REQUIRED');
    expectError(await patch(platform.id, { display_name: 'X' }), 403, 'PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR');
  });

  it('404 ACCOUNT_NOT_FOUND: another platform’s account, the other environment’s, unknown ids', async () => {
    const id = await createTestConnectedAccount(ctx, platform);
    expectError(await patch(id, { display_name: 'X' }, { p: other }), 404, 'ACCOUNT_NOT_FOUND');
    expectError(await patch(id, { display_name: 'X' }, { environment: 'production' }), 404, 'ACCOUNT_NOT_FOUND');
    expectError(await patch('acct_01m8g5hycd5qba505sf93e83c5', { display_name: 'X' }), 404, 'ACCOUNT_NOT_FOUND');
    const read = await ctx.call('GET', `/api/v1/accounts/${id}`, { key: platform.keys.sandbox });
    assert.equal(read.body.display_name, null, 'nothing changed');
  });

  it('Idempotency-Key: the same request replays; a different body with the same key is 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const id = await createTestConnectedAccount(ctx, platform);
    const headers = { 'idempotency-key': `patch-${id}` };
    const first = await patch(id, { metadata: { n: '1' } }, { headers });
    const replay = await patch(id, { metadata: { n: '1' } }, { headers });
    assert.equal(replay.status, 200);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.raw, first.raw);
    expectError(await patch(id, { metadata: { n: '2' } }, { headers }), 422, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('concurrent metadata patches merge: each key set by one of them survives', async () => {
    const id = await createTestConnectedAccount(ctx, platform);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => patch(id, { metadata: { [`k${i}`]: String(i) } })));
    for (const r of results) assert.equal(r.status, 200, r.raw);
    const read = await ctx.call('GET', `/api/v1/accounts/${id}`, { key: platform.keys.sandbox });
    assert.deepEqual(read.body.metadata, Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`k${i}`, String(i)])));
  });
});
