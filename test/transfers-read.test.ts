// GET /api/v1/transfers and /transfers/{id}: the platform sees its own transfers, a connected account only the ones
// it sent or received; other platforms' and the other environment's are "not found", never revealed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { expectError } from './support/fx.ts';

let ctx: TestContext;
let platform: TestPlatform;
let other: TestPlatform;
let alice: string;
let bob: string;
let carol: string;
const ids: Record<string, string> = {};

async function transfer(p: TestPlatform, body: Record<string, unknown>): Promise<string> {
  const result = await ctx.call('POST', '/api/v1/transfers', { key: p.keys.sandbox, body: { currency: 'AUD', amount: '10.00', ...body } });
  assert.equal(result.status, 201, result.raw);
  return result.body.id as string;
}

before(async () => {
  ctx = await startTestApp();
  [platform, other] = [await createTestPlatform(ctx), await createTestPlatform(ctx)];
  [alice, bob, carol] = [await createTestConnectedAccount(ctx, platform), await createTestConnectedAccount(ctx, platform), await createTestConnectedAccount(ctx, platform)];
  ids.toAlice = await transfer(platform, { destination_account_id: alice, metadata: { order: 'A-1' } });
  ids.toBob = await transfer(platform, { destination_account_id: bob, currency: 'USD', amount: '5.00' });
  ids.aliceToBob = await transfer(platform, { source_account_id: alice, destination_account_id: bob, amount: '1.00' });
  ids.toCarol = await transfer(platform, { destination_account_id: carol });
  const otherAccount = await createTestConnectedAccount(ctx, other);
  ids.otherPlatform = await transfer(other, { destination_account_id: otherAccount });
});
after(() => ctx.close());

const list = (p: TestPlatform, query = '', onBehalfOf?: string) => ctx.call('GET', `/api/v1/transfers${query}`, { key: p.keys.sandbox, onBehalfOf });

describe('GET /api/v1/transfers', () => {
  it('200: the platform lists its transfers newest first in the list envelope, with metadata', async () => {
    const result = await list(platform);
    assert.equal(result.status, 200, result.raw);
    assert.equal(result.body.object, 'list');
    assert.equal(result.body.has_more, false);
    assert.equal(result.body.next_cursor, null);
    assert.deepEqual(result.body.data.map((t: { id: string }) => t.id), [ids.toCarol, ids.aliceToBob, ids.toBob, ids.toAlice]);
    const first = result.body.data.at(-1);
    assert.deepEqual(first.metadata, { order: 'A-1' });
    assert.equal(first.object, 'transfer');
    assert.equal(first.amount, '10.00');
    assert.deepEqual(result.body.data[0].metadata, {});
  });

  it('200: pages with limit and cursor; has_more and next_cursor agree', async () => {
    const first = await list(platform, '?limit=3');
    assert.equal(first.body.data.length, 3);
    assert.equal(first.body.has_more, true);
    assert.ok(first.body.next_cursor);
    const second = await list(platform, `?limit=3&cursor=${first.body.next_cursor}`);
    assert.deepEqual(second.body.data.map((t: { id: string }) => t.id), [ids.toAlice]);
    assert.equal(second.body.has_more, false);
    assert.equal(second.body.next_cursor, null);
  });

  it('200: account_id narrows to transfers the account sent or received; currency to one currency', async () => {
    const ofAlice = await list(platform, `?account_id=${alice}`);
    assert.deepEqual(ofAlice.body.data.map((t: { id: string }) => t.id), [ids.aliceToBob, ids.toAlice]);
    const usd = await list(platform, '?currency=USD');
    assert.deepEqual(usd.body.data.map((t: { id: string }) => t.id), [ids.toBob]);
    const ofPlatform = await list(platform, `?account_id=${platform.id}`);
    assert.equal(ofPlatform.body.data.length, 3);
  });

  it('200: with x-on-behalf-of, only the transfers that account sent or received', async () => {
    const asBob = await list(platform, '', bob);
    assert.deepEqual(asBob.body.data.map((t: { id: string }) => t.id), [ids.aliceToBob, ids.toBob]);
    const asCarol = await list(platform, `?account_id=${carol}`, carol);
    assert.deepEqual(asCarol.body.data.map((t: { id: string }) => t.id), [ids.toCarol]);
  });

  it('400: a bad cursor, currency, limit or unknown parameter; ON_BEHALF_OF_MISMATCH for another account_id', async () => {
    expectError(await list(platform, '?cursor=bm90LWFuLWlk'), 400, 'INVALID_CURSOR');
    expectError(await list(platform, '?currency=EUR'), 400, 'UNSUPPORTED_CURRENCY');
    expectError(await list(platform, '?limit=0'), 400, 'INVALID_REQUEST', 'limit');
    expectError(await list(platform, '?colour=red'), 400, 'INVALID_REQUEST', 'colour');
    expectError(await list(platform, `?account_id=${alice}`, bob), 400, 'ON_BEHALF_OF_MISMATCH');
  });

  it('404: account_id of another platform or unknown; another platform never sees these transfers', async () => {
    expectError(await list(other, `?account_id=${alice}`), 404, 'ACCOUNT_NOT_FOUND');
    expectError(await list(platform, '?account_id=acct_01m8g5hycd5qba505sf93e83c5'), 404, 'ACCOUNT_NOT_FOUND');
    expectError(await list(other, '', alice), 404, 'ACCOUNT_NOT_FOUND');
    const theirs = await list(other);
    assert.deepEqual(theirs.body.data.map((t: { id: string }) => t.id), [ids.otherPlatform]);
  });

  it('the other environment: a production key lists none of the sandbox transfers', async () => {
    const production = await ctx.call('GET', '/api/v1/transfers', { key: platform.keys.production });
    assert.equal(production.status, 200, production.raw);
    assert.deepEqual(production.body.data, []);
    expectError(await ctx.call('GET', `/api/v1/transfers?account_id=${alice}`, { key: platform.keys.production }), 404, 'ACCOUNT_NOT_FOUND');
  });

  it('401 without a key', async () => {
    expectError(await ctx.call('GET', '/api/v1/transfers'), 401, 'API_KEY_MISSING');
  });
});

describe('GET /api/v1/transfers/{id}', () => {
  const get = (p: TestPlatform, id: string, onBehalfOf?: string, environment: 'sandbox' | 'production' = 'sandbox') =>
    ctx.call('GET', `/api/v1/transfers/${id}`, { key: p.keys[environment], onBehalfOf });

  it('200: the platform reads any of its transfers; a connected account one it sent or received', async () => {
    const read = await get(platform, ids.toAlice as string);
    assert.equal(read.status, 200, read.raw);
    assert.equal(read.body.id, ids.toAlice);
    assert.equal(read.body.destination_account_id, alice);
    assert.deepEqual(read.body.metadata, { order: 'A-1' });
    assert.equal((await get(platform, ids.aliceToBob as string, alice)).status, 200);
    assert.equal((await get(platform, ids.aliceToBob as string, bob)).status, 200);
  });

  it('404 TRANSFER_NOT_FOUND: another connected account, another platform, the other environment, unknown or malformed ids', async () => {
    expectError(await get(platform, ids.toAlice as string, bob), 404, 'TRANSFER_NOT_FOUND');
    expectError(await get(platform, ids.toCarol as string, alice), 404, 'TRANSFER_NOT_FOUND');
    expectError(await get(other, ids.toAlice as string), 404, 'TRANSFER_NOT_FOUND');
    expectError(await get(platform, ids.otherPlatform as string), 404, 'TRANSFER_NOT_FOUND');
    expectError(await get(platform, ids.toAlice as string, undefined, 'production'), 404, 'TRANSFER_NOT_FOUND');
    expectError(await get(platform, 'tr_01m8g5hycd5qba505sf93e83c5'), 404, 'TRANSFER_NOT_FOUND');
    expectError(await get(platform, 'nonsense'), 404, 'TRANSFER_NOT_FOUND');
  });
});
