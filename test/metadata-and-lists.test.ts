// Metadata on transfers, payouts and webhook endpoints (accounts: accounts-update.test.ts), and the one list envelope
// {object: "list", data, has_more, next_cursor} on every list of /api/v1 and /admin/v1.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { expectError } from './support/fx.ts';
import { bankDestination } from './support/ledger.ts';

let ctx: TestContext;
let platform: TestPlatform;
let account: string;

before(async () => {
  ctx = await startTestApp();
  platform = await createTestPlatform(ctx);
  account = await createTestConnectedAccount(ctx, platform, 'sandbox', { metadata: { crm: 'c-1' } });
});
after(() => ctx.close());

const call = (method: string, url: string, body?: unknown) => ctx.call(method, url, { key: platform.keys.sandbox, body });

describe('metadata', () => {
  it('transfers: given on create, returned on create, read and list; bad input names the key', async () => {
    const created = await call('POST', '/api/v1/transfers', { destination_account_id: account, currency: 'AUD', amount: '3.00', metadata: { invoice: 'INV-9' } });
    assert.equal(created.status, 201, created.raw);
    assert.deepEqual(created.body.metadata, { invoice: 'INV-9' });
    assert.deepEqual((await call('GET', `/api/v1/transfers/${created.body.id}`)).body.metadata, { invoice: 'INV-9' });
    expectError(await call('POST', '/api/v1/transfers', { destination_account_id: account, currency: 'AUD', amount: '3.00', metadata: { '': 'x' } }), 400, 'INVALID_REQUEST', 'metadata.');
    const tooMany = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));
    expectError(await call('POST', '/api/v1/transfers', { destination_account_id: account, currency: 'AUD', amount: '3.00', metadata: tooMany }), 400, 'INVALID_REQUEST', 'metadata');
  });

  it('payouts: given on create, returned on read and list', async () => {
    const created = await call('POST', '/api/v1/payouts', { currency: 'AUD', amount: '2.00', destination_type: 'bank_account', destination: bankDestination, metadata: { batch: '7' } });
    assert.equal(created.status, 201, created.raw);
    assert.deepEqual(created.body.metadata, { batch: '7' });
    assert.deepEqual((await call('GET', `/api/v1/payouts/${created.body.id}`)).body.metadata, { batch: '7' });
    const listed = await call('GET', '/api/v1/payouts');
    assert.deepEqual(listed.body.data[0].metadata, { batch: '7' });
    expectError(await call('POST', '/api/v1/payouts', { currency: 'AUD', amount: '2.00', destination_type: 'bank_account', destination: bankDestination, metadata: { batch: 7 } }), 400, 'INVALID_REQUEST', 'metadata.batch');
  });

  it('webhook endpoints: given on create, merged by PATCH, returned on read', async () => {
    const created = await call('POST', '/api/v1/webhooks', { url: 'https://hooks.example.com/meta', events: ['*'], metadata: { team: 'payments', env: 'staging' } });
    assert.equal(created.status, 201, created.raw);
    assert.deepEqual(created.body.metadata, { team: 'payments', env: 'staging' });
    const patched = await call('PATCH', `/api/v1/webhooks/${created.body.id}`, { metadata: { env: null, owner: 'ops' } });
    assert.equal(patched.status, 200, patched.raw);
    assert.deepEqual(patched.body.metadata, { team: 'payments', owner: 'ops' });
    assert.deepEqual((await call('GET', `/api/v1/webhooks/${created.body.id}`)).body.metadata, { team: 'payments', owner: 'ops' });
    expectError(await call('PATCH', `/api/v1/webhooks/${created.body.id}`, { metadata: { ['x'.repeat(41)]: 'v' } }), 400, 'INVALID_REQUEST', `metadata.${'x'.repeat(41)}`);
  });

  it('accounts: given on create, returned on read; a "__proto__" key is dropped by the body parser, never the prototype', async () => {
    assert.deepEqual((await call('GET', `/api/v1/accounts/${account}`)).body.metadata, { crm: 'c-1' });
    const patched = await ctx.call('PATCH', `/api/v1/accounts/${account}`, { key: platform.keys.sandbox, body: '{"metadata": {"__proto__": "p"}}', headers: { 'content-type': 'application/json' } });
    assert.equal(patched.status, 200, patched.raw);
    assert.deepEqual(patched.body.metadata, { crm: 'c-1' });
    assert.equal(({} as Record<string, unknown>).p, undefined);
  });
});

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  enum?: unknown[];
}

describe('one list envelope', () => {
  const responsesOf = (doc: { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>> }) =>
    Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) =>
        Object.entries(operation.responses ?? {})
          .filter(([status]) => status.startsWith('2'))
          .map(([status, response]) => ({ name: `${method.toUpperCase()} ${path} ${status}`, schema: response.content?.['application/json']?.schema })),
      ),
    );
  // Balances are one object per account (every currency at once), not a list.
  const notLists = new Set(['GET /api/v1/accounts/{id}/wallet/balances 200']);

  it('every 2xx answer with a data array, in both documents, is the list envelope', async () => {
    const docs = [ctx.app.swagger(), ctx.app.operatorSwagger()] as unknown as Parameters<typeof responsesOf>[0][];
    const lists = docs.flatMap(responsesOf).filter((r) => r.schema?.properties?.data?.type === 'array' && !notLists.has(r.name));
    assert.ok(lists.length >= 18, `found ${lists.length} lists`);
    for (const { name, schema } of lists) {
      const p = schema?.properties ?? {};
      const object = p.object as { enum?: unknown[]; const?: unknown } | undefined;
      assert.deepEqual(object?.enum ?? [object?.const], ['list'], name);
      assert.equal(p.has_more?.type, 'boolean', name);
      assert.ok(p.next_cursor, name);
    }
  });

  it('live: the lists answer the envelope, old fields (next_cursor, environment, account_id) still there', async () => {
    const transfer = await call('POST', '/api/v1/transfers', { destination_account_id: account, currency: 'AUD', amount: '1.00' });
    const event = (await call('GET', '/api/v1/events?limit=1')).body.data[0];
    const endpoint = await call('POST', '/api/v1/webhooks', { url: 'https://hooks.example.com/lists', events: ['*'] });
    assert.equal(transfer.status, 201);
    const api = [
      '/api/v1/accounts', `/api/v1/accounts/${account}/transactions`, `/api/v1/accounts/${account}/capabilities`, '/api/v1/payouts', '/api/v1/transfers',
      '/api/v1/fx/conversions', '/api/v1/payment-links', '/api/v1/payments', '/api/v1/webhooks', `/api/v1/webhooks/${endpoint.body.id}/deliveries`, '/api/v1/events',
    ];
    const admin = ['/admin/v1/audit-log?platform=' + platform.id, '/admin/v1/verifications?environment=sandbox', '/admin/v1/payouts', '/admin/v1/unmatched-funds', '/admin/v1/platforms', `/admin/v1/platforms/${platform.id}/keys`, '/admin/v1/fx/rates'];
    const answers = [
      ...(await Promise.all(api.map(async (url) => ({ url, result: await call('GET', url) })))),
      ...(await Promise.all(admin.map(async (url) => ({ url, result: await ctx.admin('GET', url) })))),
      { url: 'redeliver', result: await call('POST', `/api/v1/events/${event.id}/redeliver`, { endpoint_id: endpoint.body.id }) },
    ];
    for (const { url, result } of answers) {
      assert.ok(result.status === 200 || result.status === 202, `${url}: ${result.raw}`);
      assert.equal(result.body.object, 'list', url);
      assert.ok(Array.isArray(result.body.data), url);
      assert.equal(typeof result.body.has_more, 'boolean', url);
      assert.ok('next_cursor' in result.body, url);
      assert.equal(result.body.has_more, result.body.next_cursor !== null, url);
    }
    const rates = answers.find((a) => a.url === '/admin/v1/fx/rates')?.result.body;
    assert.equal(rates.environment, 'production');
    const capabilities = answers.find((a) => a.url.endsWith('/capabilities'))?.result.body;
    assert.equal(capabilities.account_id, account);
  });

  it('an operator list without a cursor says has_more when limit cut it short', async () => {
    for (let i = 0; i < 2; i++) {
      const p = await call('POST', '/api/v1/payouts', { currency: 'AUD', amount: '1.00', destination_type: 'bank_account', destination: bankDestination });
      assert.equal(p.status, 201, p.raw);
    }
    const one = await ctx.admin('GET', '/admin/v1/payouts?environment=sandbox&limit=1');
    assert.equal(one.body.data.length, 1);
    assert.equal(one.body.has_more, true);
    assert.equal(one.body.next_cursor, null);
  });
});
