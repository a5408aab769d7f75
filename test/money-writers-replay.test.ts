// Every route that moves money, replayed: the same request again with its Idempotency-Key gives the original answer
// and moves nothing; without a key, its reference (or, for a payout's answer, its decided status) stops a second
// movement. The routes come from the registered ones (config.movesMoney), so a new money route cannot be left out.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { registerIdempotency } from '../src/http/idempotency.ts';
import type { Environment } from '../src/lib/environments.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type CallResult, type TestContext, type TestPlatform } from './support/context.ts';
import { approveAccount, bankDestination, checkLedgerInvariants } from './support/ledger.ts';

let ctx: TestContext;
let platform: TestPlatform;
let account: string;
let productionAccount: string;

before(async () => {
  ctx = await startTestApp();
  platform = await createTestPlatform(ctx);
  account = await createTestConnectedAccount(ctx, platform);
  await approveAccount(ctx, 'sandbox', account);
  productionAccount = await createTestConnectedAccount(ctx, platform, 'production');
  const funded = await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { destination_account_id: account, currency: 'AUD', amount: '100.00' } });
  assert.equal(funded.status, 201, funded.raw);
});
after(() => ctx.close());

interface MoneyRequest {
  environment: Environment;
  /** POST unless said. */
  method?: 'POST' | 'DELETE';
  url: string;
  body: unknown;
  /** An API key (with x-on-behalf-of when given), or the operator token. */
  as: { key: string; onBehalfOf?: string } | 'operator';
}

interface MoneyWriter {
  /** A fresh request (it may first create what it acts on, such as a pending payout). */
  request(unique: string): Promise<MoneyRequest>;
  /**
   * What stops the same request sent again without a key: a reference in its body, or the decided status of what it
   * acts on (a payout, a payment, a link, unmatched funds) — or nothing, for the sandbox payer: each call is another
   * payer's money ('another payer'), and only the Idempotency-Key makes a retry one payment.
   */
  withoutKey: 'reference' | 'decided' | 'another payer';
}

let counter = 0;

async function pendingPayout(): Promise<string> {
  const created = await ctx.call('POST', '/api/v1/payouts', {
    key: platform.keys.sandbox,
    onBehalfOf: account,
    body: { currency: 'AUD', amount: '1.00', destination_type: 'bank_account', destination: bankDestination },
  });
  assert.equal(created.status, 201, created.raw);
  return created.body.id as string;
}

/** A USDC payment link of `account` (no virtual account needed), with its open payment. */
async function paymentLink(options: { underpaid?: boolean } = {}): Promise<{ id: string; paymentId: string; reference: string }> {
  const reference = `RP${++counter}${Date.now().toString(36)}`.toUpperCase().slice(0, 18);
  const created = await ctx.call('POST', '/api/v1/payment-links', { key: platform.keys.sandbox, onBehalfOf: account, body: { amount_type: 'fixed', currency: 'USDC', amount: '2.000000', reference } });
  assert.equal(created.status, 201, created.raw);
  const link = { id: created.body.id as string, paymentId: created.body.open_payment_id as string, reference };
  if (options.underpaid) {
    const simulated = await ctx.call('POST', `/api/v1/sandbox/payments/${link.paymentId}/simulate`, { key: platform.keys.sandbox, onBehalfOf: account, body: { status: 'underpaid' } });
    assert.equal(simulated.status, 200, simulated.raw);
  }
  return link;
}

/** Funds held as unmatched: paid to a cancelled link. */
async function unmatchedFunds(): Promise<string> {
  const link = await paymentLink();
  assert.equal((await ctx.call('DELETE', `/api/v1/payment-links/${link.id}`, { key: platform.keys.sandbox, onBehalfOf: account })).status, 200);
  const paid = await ctx.call('POST', `/api/v1/sandbox/payment-links/${link.id}/pay`, { key: platform.keys.sandbox, onBehalfOf: account });
  assert.equal(paid.status, 201, paid.raw);
  return paid.body.unmatched_funds_id as string;
}

/** Keyed as Fastify registers the route. A route declared with config.movesMoney needs its line here. */
const moneyWriters: Record<string, MoneyWriter> = {
  'POST /api/v1/transfers': {
    withoutKey: 'reference',
    request: async (unique) => ({
      environment: 'sandbox',
      url: '/api/v1/transfers',
      body: { source_account_id: account, destination_account_id: platform.id, currency: 'AUD', amount: '1.00', reference: unique },
      as: { key: platform.keys.sandbox },
    }),
  },
  'POST /api/v1/payouts': {
    withoutKey: 'reference',
    request: async (unique) => ({
      environment: 'sandbox',
      url: '/api/v1/payouts',
      body: { currency: 'AUD', amount: '1.00', destination_type: 'bank_account', destination: bankDestination, reference: unique },
      as: { key: platform.keys.sandbox, onBehalfOf: account },
    }),
  },
  'POST /api/v1/fx/conversions': {
    withoutKey: 'reference',
    request: async (unique) => ({
      environment: 'sandbox',
      url: '/api/v1/fx/conversions',
      body: { sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '2.00', conversion_type: 'rate', reference: unique },
      as: { key: platform.keys.sandbox, onBehalfOf: account },
    }),
  },
  'POST /api/v1/sandbox/deposits': {
    withoutKey: 'reference',
    // settled at once, so that the background settler moves nothing while the balances are compared
    request: async (unique) => ({
      environment: 'sandbox',
      url: '/api/v1/sandbox/deposits',
      body: { account_id: account, currency: 'AUD', amount: '1.00', reference: unique, settle: 'immediately' },
      as: { key: platform.keys.sandbox },
    }),
  },
  'POST /api/v1/sandbox/payouts/:id/simulate': {
    withoutKey: 'decided',
    request: async () => ({ environment: 'sandbox', url: `/api/v1/sandbox/payouts/${await pendingPayout()}/simulate`, body: { status: 'completed' }, as: { key: platform.keys.sandbox } }),
  },
  'POST /admin/v1/deposits': {
    withoutKey: 'reference',
    request: async (unique) => ({
      environment: 'production',
      url: '/admin/v1/deposits',
      body: { environment: 'production', account_id: productionAccount, currency: 'AUD', amount: '1.00', reference: unique },
      as: 'operator',
    }),
  },
  'POST /admin/v1/payouts/:id/complete': {
    withoutKey: 'decided',
    request: async () => ({ environment: 'sandbox', url: `/admin/v1/payouts/${await pendingPayout()}/complete`, body: { environment: 'sandbox' }, as: 'operator' }),
  },
  'POST /admin/v1/payouts/:id/fail': {
    withoutKey: 'decided',
    request: async () => ({ environment: 'sandbox', url: `/admin/v1/payouts/${await pendingPayout()}/fail`, body: { environment: 'sandbox', reason: 'Account closed' }, as: 'operator' }),
  },
  'DELETE /api/v1/payment-links/:id': {
    withoutKey: 'decided',
    // an underpaid payment's funds leave the wallet's pending for unmatched funds when its link is cancelled
    request: async () => ({ environment: 'sandbox', method: 'DELETE', url: `/api/v1/payment-links/${(await paymentLink({ underpaid: true })).id}`, body: undefined, as: { key: platform.keys.sandbox, onBehalfOf: account } }),
  },
  'POST /api/v1/payments/:id/accept-partial': {
    withoutKey: 'decided',
    request: async () => ({ environment: 'sandbox', url: `/api/v1/payments/${(await paymentLink({ underpaid: true })).paymentId}/accept-partial`, body: undefined, as: { key: platform.keys.sandbox, onBehalfOf: account } }),
  },
  'POST /api/v1/sandbox/payments/:id/simulate': {
    withoutKey: 'decided',
    request: async () => ({ environment: 'sandbox', url: `/api/v1/sandbox/payments/${(await paymentLink()).paymentId}/simulate`, body: { status: 'settled' }, as: { key: platform.keys.sandbox, onBehalfOf: account } }),
  },
  'POST /api/v1/sandbox/payment-links/:id/pay': {
    withoutKey: 'another payer',
    request: async () => ({ environment: 'sandbox', url: `/api/v1/sandbox/payment-links/${(await paymentLink()).id}/pay`, body: { amount: '1.000000' }, as: { key: platform.keys.sandbox, onBehalfOf: account } }),
  },
  'POST /admin/v1/unmatched-funds/:id/assign': {
    withoutKey: 'decided',
    request: async () => ({ environment: 'sandbox', url: `/admin/v1/unmatched-funds/${await unmatchedFunds()}/assign`, body: { environment: 'sandbox' }, as: 'operator' }),
  },
  'POST /admin/v1/unmatched-funds/:id/return': {
    withoutKey: 'decided',
    request: async () => ({ environment: 'sandbox', url: `/admin/v1/unmatched-funds/${await unmatchedFunds()}/return`, body: { environment: 'sandbox' }, as: 'operator' }),
  },
};

/**
 * Every other write of the two APIs, with why it moves no money — or how a retry of it is kept from moving money
 * twice otherwise. A new write route needs its line here or in moneyWriters: this is where it is decided.
 */
const movesNoMoney: Record<string, string> = {
  'POST /api/v1/accounts': 'creates a connected account',
  'POST /api/v1/accounts/:id/kyc': 'identity',
  'POST /api/v1/accounts/:id/kyb': 'identity',
  'POST /api/v1/sandbox/accounts/:id/verification': 'a verification decision',
  'POST /api/v1/accounts/:id/capabilities/:name': 'a capability',
  'DELETE /api/v1/accounts/:id/capabilities/:name': 'a capability',
  'POST /api/v1/accounts/:id/virtual-account': 'issues a number that money can later be paid to; moves none itself',
  'DELETE /api/v1/accounts/:id/virtual-account': 'releases a number',
  'POST /api/v1/webhooks': 'registers a webhook endpoint',
  'PATCH /api/v1/webhooks/:id': 'a webhook endpoint',
  'PATCH /api/v1/accounts/:id': "a connected account's details and metadata",
  'DELETE /api/v1/webhooks/:id': 'a webhook endpoint',
  'POST /api/v1/webhooks/:id/rotate-secret': "a webhook endpoint's signing secret",
  'POST /api/v1/webhooks/:id/test': 'a test event',
  'POST /api/v1/events/:id/redeliver': 'queues a delivery of an event',
  'POST /api/v1/payment-links': 'creates a link (and its payment awaiting funds) that money can later be paid to; moves none itself',
  'POST /api/v1/fx/quotes': 'locks a rate and amounts; only a conversion that uses it moves money, and a quote converts once',
  'POST /admin/v1/platforms':
    'mints the sandbox starting balance, once per platform: a retry is 409 EMAIL_TAKEN (a unique index on the owner email), and the answer holds a one-time set-password link that must not be stored for replay',
  'PUT /admin/v1/platforms/:id/rate-limits': 'rate limits',
  'POST /admin/v1/verifications/:account_id/decision': 'a verification decision',
  'POST /admin/v1/platforms/:id/capabilities/:name': 'a capability',
  'DELETE /admin/v1/platforms/:id/capabilities/:name': 'a capability',
  'POST /admin/v1/platforms/:id/keys': 'an API key',
  'DELETE /admin/v1/keys/:id': 'an API key',
  'PUT /admin/v1/fx/rates': 'sets a rate in the rate table; conversions priced from it move money, each through its own writer',
  'PATCH /admin/v1/keys/:id': "an API key's permissions and allowlist",
  'POST /admin/v1/keys/:id/roll': 'an API key and its successor',
};

describe('which routes move money', () => {
  it('the routes declared with config.movesMoney are exactly the table; every other write route says why it moves none', () => {
    const apis = ctx.app.declaredRoutes.filter((r) => r.url.startsWith('/api/v1/') || r.url.startsWith('/admin/v1/'));
    const declared = apis.filter((r) => r.config.movesMoney).map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(declared.sort(), Object.keys(moneyWriters).sort(), 'config.movesMoney and this table must name the same routes');
    const writes = apis.filter((r) => r.method !== 'GET' && !r.config.movesMoney).map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(writes.sort(), Object.keys(movesNoMoney).sort(), 'a write route that moves no money is listed in movesNoMoney, with why');
    for (const route of apis.filter((r) => r.config.movesMoney)) assert.ok(route.config.idempotent, `${route.method} ${route.url} takes an Idempotency-Key`);
  });

  it('a money route whose body takes a reference is checked with it', async () => {
    // The public document holds /api/v1; the operator's own (behind its token) holds /admin/v1.
    type Paths = Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: object } }> } }>>;
    const publicDocument = await ctx.call('GET', '/api/v1/openapi.json');
    const operatorDocument = await ctx.admin('GET', '/admin/v1/openapi.json');
    assert.equal(publicDocument.status, 200, publicDocument.raw);
    assert.equal(operatorDocument.status, 200, operatorDocument.raw);
    const paths: Paths = { ...(publicDocument.body.paths as Paths), ...(operatorDocument.body.paths as Paths) };
    for (const [name, writer] of Object.entries(moneyWriters)) {
      const [method, url] = name.split(' ') as [string, string];
      const operation = paths[url.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
      assert.ok(operation, `${name} is in an OpenAPI document`);
      const properties = operation?.requestBody?.content['application/json']?.schema.properties ?? {};
      assert.equal('reference' in properties, writer.withoutKey === 'reference', `${name}: its reference is what stops a retry without a key`);
    }
  });

  it('a route that moves money but is not idempotent is refused when it is registered', async () => {
    const app = Fastify();
    registerIdempotency(app, ctx.services);
    assert.throws(() => app.post('/money', { config: { movesMoney: true } }, async () => ({})), /moves money but is not idempotent/);
    assert.doesNotThrow(() => app.post('/fine', { config: { movesMoney: true, idempotent: true } }, async () => ({})));
    await app.close();
  });
});

async function send(request: MoneyRequest, idempotencyKey?: string): Promise<CallResult> {
  const headers: Record<string, string> = idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey };
  const method = request.method ?? 'POST';
  if (request.as === 'operator') return ctx.call(method, request.url, { body: request.body, headers: { ...headers, authorization: `Bearer ${ctx.operatorToken}` } });
  return ctx.call(method, request.url, { key: request.as.key, onBehalfOf: request.as.onBehalfOf, body: request.body, headers });
}

/** Everything money: every balance row and the number of ledger entries of the environment. */
async function moneyState(environment: Environment): Promise<unknown> {
  const db = ctx.services.db.env(environment);
  const balances = await db.selectFrom('ledger_balances').select(['ledger_account', 'currency', 'available', 'pending']).orderBy('ledger_account').orderBy('currency').execute();
  const entries = await db.selectFrom('ledger_entries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return { balances: balances.map((b) => ({ ...b, available: String(b.available), pending: String(b.pending) })), entries: String(entries.n) };
}

describe('every money writer, replayed', () => {
  for (const [name, writer] of Object.entries(moneyWriters)) {
    const retryLabel = { reference: '409 DUPLICATE_REFERENCE', decided: 'the decided answer again', 'another payer': "another payer's funds" }[writer.withoutKey];
    it(`${name}: the same key → the original answer, nothing moves again; no key → ${retryLabel}`, async () => {
      const unique = `replay-${++counter}-${Date.now()}`;
      const request = await writer.request(unique);
      const before = await moneyState(request.environment);
      const first = await send(request, `key-${unique}`);
      assert.ok(first.status === 200 || first.status === 201, `${name}: ${first.raw}`);
      const moved = await moneyState(request.environment);
      assert.notDeepEqual(moved, before, `${name} moved money`);

      const replay = await send(request, `key-${unique}`);
      assert.deepEqual([replay.status, replay.headers['idempotent-replayed'], replay.raw], [first.status, 'true', first.raw]);
      assert.deepEqual(await moneyState(request.environment), moved, 'the replay moved nothing');

      const withoutKey = await send(request);
      const withNewKey = await send(request, `other-${unique}`);
      for (const again of [withoutKey, withNewKey]) {
        if (writer.withoutKey === 'reference') {
          assert.deepEqual([again.status, again.body.error?.code], [409, 'DUPLICATE_REFERENCE'], again.raw);
        } else if (writer.withoutKey === 'decided') {
          assert.deepEqual([again.status, again.raw], [first.status, first.raw], 'the same decision again returns what was decided');
        } else {
          assert.equal(again.status, first.status, again.raw);
          assert.notEqual(again.body.id, first.body.id, "another payer's funds are another deposit");
        }
      }
      if (writer.withoutKey !== 'another payer') assert.deepEqual(await moneyState(request.environment), moved, 'a retry without the key moved nothing');
      await checkLedgerInvariants(ctx.services.db, request.environment);
    });
  }

  it('POST /admin/v1/platforms: a retry is 409 EMAIL_TAKEN and mints no second starting balance', async () => {
    const body = { name: 'Retried', owner_email: `retry-${Date.now()}@example.test`, owner_password: 'correct horse battery staple' };
    const first = await ctx.admin('POST', '/admin/v1/platforms', body);
    assert.equal(first.status, 201, first.raw);
    const before = await moneyState('sandbox');
    const again = await ctx.admin('POST', '/admin/v1/platforms', body);
    assert.deepEqual([again.status, again.body.error.code], [409, 'EMAIL_TAKEN']);
    assert.deepEqual(await moneyState('sandbox'), before);
  });
});
