// The shared route-security suite for every /api/v1 route, from one table — and the check that no route is missing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { capabilities, capabilitiesOfRoute, capabilityCatalogue } from '../src/lib/capabilities.ts';
import { startTestApp, type TestContext } from './support/context.ts';
import { createTestConnectedAccount } from './support/context.ts';
import { approveAccount, bankDestination } from './support/ledger.ts';
import { validKyb, validKyc } from './support/onboarding.ts';
import { assertBodyBounds, createSecurityFixture, describeRouteSecurity, type RouteSpec, type SecurityFixture } from './support/route-security.ts';

let ctx: TestContext;
let f: SecurityFixture;

before(async () => {
  ctx = await startTestApp();
  f = await createSecurityFixture(ctx);
});
after(() => ctx.close());

const payout = 'po_01m8g5hycd5qba505sf93e83c5';
const transfer = 'tr_01m8g5hycd5qba505sf93e83c5';
const endpoint = 'we_01m8g5hycd5qba505sf93e83c5';
const event = 'evt_01m8g5hycd5qba505sf93e83c5';
const paymentLink = 'pl_01m8g5hycd5qba505sf93e83c5';
const payment = 'pay_01m8g5hycd5qba505sf93e83c5';
const fxQuote = 'qt_01m8g5hycd5qba505sf93e83c5';
const conversion = 'conv_01m8g5hycd5qba505sf93e83c5';
const fx = { scope: 'any', capability: 'fx_conversion' } as const;

/** Keyed as Fastify registers the route: method and URL with `:params`. A new route needs its line here. */
const routes: Record<string, RouteSpec> = {
  'GET /api/v1/account': { method: 'GET', path: () => '/api/v1/account', permission: 'accounts:read', scope: 'any' },
  'GET /api/v1/accounts': { method: 'GET', path: () => '/api/v1/accounts', permission: 'accounts:read', scope: 'platform' },
  'POST /api/v1/accounts': {
    method: 'POST',
    path: () => '/api/v1/accounts',
    permission: 'accounts:write', scope: 'platform',
    body: () => ({ customer_type: 'business', email: 'b@example.test', country: 'AU' }),
  },
  'GET /api/v1/accounts/:id': { method: 'GET', path: (id) => `/api/v1/accounts/${id}`, permission: 'accounts:read', scope: 'any', hasAccountInPath: true },
  'PATCH /api/v1/accounts/:id': { method: 'PATCH', path: (id) => `/api/v1/accounts/${id}`, body: () => ({ display_name: 'Renamed' }), permission: 'accounts:write', scope: 'platform', hasAccountInPath: true },
  'POST /api/v1/accounts/:id/kyc': { method: 'POST', path: (id) => `/api/v1/accounts/${id}/kyc`, body: () => validKyc(), permission: 'onboarding:write', scope: 'platform', hasAccountInPath: true },
  'POST /api/v1/accounts/:id/kyb': { method: 'POST', path: (id) => `/api/v1/accounts/${id}/kyb`, body: () => validKyb(), permission: 'onboarding:write', scope: 'platform', hasAccountInPath: true },
  'GET /api/v1/accounts/:id/verification': { method: 'GET', path: (id) => `/api/v1/accounts/${id}/verification`, permission: 'onboarding:read', scope: 'any', hasAccountInPath: true },
  'POST /api/v1/sandbox/accounts/:id/verification': {
    method: 'POST',
    path: (id) => `/api/v1/sandbox/accounts/${id}/verification`,
    body: () => ({ status: 'approved' }),
    permission: 'sandbox:write', scope: 'platform',
    hasAccountInPath: true,
    sandboxOnly: true,
  },
  'GET /api/v1/accounts/:id/capabilities': { method: 'GET', path: (id) => `/api/v1/accounts/${id}/capabilities`, permission: 'onboarding:read', scope: 'any', hasAccountInPath: true },
  'POST /api/v1/accounts/:id/capabilities/:name': {
    method: 'POST',
    path: (id) => `/api/v1/accounts/${id}/capabilities/payouts`,
    permission: 'onboarding:write', scope: 'platform',
    hasAccountInPath: true,
  },
  'DELETE /api/v1/accounts/:id/capabilities/:name': {
    method: 'DELETE',
    path: (id) => `/api/v1/accounts/${id}/capabilities/payouts`,
    permission: 'onboarding:write', scope: 'platform',
    hasAccountInPath: true,
  },
  'GET /api/v1/accounts/:id/receiving-details': {
    method: 'GET',
    path: (id) => `/api/v1/accounts/${id}/receiving-details`,
    permission: 'virtual_accounts:read', scope: 'any',
    hasAccountInPath: true,
    capability: 'inbound_payments',
  },
  'GET /api/v1/accounts/:id/wallet/balances': { method: 'GET', path: (id) => `/api/v1/accounts/${id}/wallet/balances`, permission: 'balances:read', scope: 'any', hasAccountInPath: true },
  'GET /api/v1/accounts/:id/transactions': { method: 'GET', path: (id) => `/api/v1/accounts/${id}/transactions`, permission: 'balances:read', scope: 'any', hasAccountInPath: true },
  'POST /api/v1/transfers': {
    method: 'POST',
    path: () => '/api/v1/transfers',
    permission: 'transfers:write', scope: 'platform',
    body: () => ({ destination_account_id: f.account, currency: 'AUD', amount: '1.00' }),
  },
  'POST /api/v1/payouts': {
    method: 'POST',
    path: () => '/api/v1/payouts',
    permission: 'payouts:write', scope: 'any',
    body: () => ({ currency: 'AUD', amount: '10.00', destination_type: 'bank_account', destination: bankDestination }),
    needsCapability: true,
  },
  'GET /api/v1/fx/rates': { ...fx, method: 'GET', path: () => '/api/v1/fx/rates?sell_currency=AUD&buy_currency=USD', permission: 'fx:read' },
  'POST /api/v1/fx/quotes': { ...fx, method: 'POST', path: () => '/api/v1/fx/quotes', permission: 'fx:write', body: () => ({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00' }) },
  'GET /api/v1/fx/quotes/:id': { ...fx, method: 'GET', path: () => `/api/v1/fx/quotes/${fxQuote}`, permission: 'fx:read' },
  'POST /api/v1/fx/conversions': {
    ...fx,
    method: 'POST',
    path: () => '/api/v1/fx/conversions',
    permission: 'fx:write',
    body: () => ({ sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00', conversion_type: 'rate' }),
  },
  'GET /api/v1/fx/conversions': { ...fx, method: 'GET', path: () => '/api/v1/fx/conversions', permission: 'fx:read' },
  'GET /api/v1/fx/conversions/:id': { ...fx, method: 'GET', path: () => `/api/v1/fx/conversions/${conversion}`, permission: 'fx:read' },
  'GET /api/v1/transfers': { method: 'GET', path: () => '/api/v1/transfers', permission: 'transfers:read', scope: 'any' },
  'GET /api/v1/transfers/:id': { method: 'GET', path: () => `/api/v1/transfers/${transfer}`, permission: 'transfers:read', scope: 'any' },
  'GET /api/v1/payouts': { method: 'GET', path: () => '/api/v1/payouts', permission: 'payouts:read', scope: 'any' },
  'GET /api/v1/payouts/:id': { method: 'GET', path: () => `/api/v1/payouts/${payout}`, permission: 'payouts:read', scope: 'any' },
  'POST /api/v1/sandbox/payouts/:id/simulate': {
    method: 'POST',
    path: () => `/api/v1/sandbox/payouts/${payout}/simulate`,
    permission: 'sandbox:write', scope: 'any',
    body: () => ({ status: 'completed' }),
  },
  'POST /api/v1/sandbox/deposits': {
    method: 'POST',
    path: () => '/api/v1/sandbox/deposits',
    permission: 'sandbox:write', scope: 'any',
    body: () => ({ currency: 'AUD', amount: '1.00' }),
    needsCapability: true,
  },
  'POST /api/v1/accounts/:id/virtual-account': {
    method: 'POST',
    path: (id) => `/api/v1/accounts/${id}/virtual-account`,
    permission: 'virtual_accounts:write', scope: 'any',
    hasAccountInPath: true,
    needsCapability: true,
    body: () => ({}),
  },
  'GET /api/v1/accounts/:id/virtual-account': {
    method: 'GET',
    path: (id) => `/api/v1/accounts/${id}/virtual-account`,
    permission: 'virtual_accounts:read', scope: 'any',
    hasAccountInPath: true,
    needsCapability: true,
  },
  'DELETE /api/v1/accounts/:id/virtual-account': {
    method: 'DELETE',
    path: (id) => `/api/v1/accounts/${id}/virtual-account`,
    permission: 'virtual_accounts:write', scope: 'any',
    hasAccountInPath: true,
    needsCapability: true,
  },
  'POST /api/v1/webhooks': {
    method: 'POST',
    path: () => '/api/v1/webhooks',
    permission: 'webhooks:write', scope: 'platform',
    body: () => ({ url: 'https://hooks.example.com/pik', events: ['*'] }),
  },
  'GET /api/v1/webhooks': { method: 'GET', path: () => '/api/v1/webhooks', permission: 'webhooks:read', scope: 'platform' },
  'GET /api/v1/webhooks/:id': { method: 'GET', path: () => `/api/v1/webhooks/${endpoint}`, permission: 'webhooks:read', scope: 'platform' },
  'PATCH /api/v1/webhooks/:id': { method: 'PATCH', path: () => `/api/v1/webhooks/${endpoint}`, permission: 'webhooks:write', scope: 'platform', body: () => ({ description: 'x' }) },
  'DELETE /api/v1/webhooks/:id': { method: 'DELETE', path: () => `/api/v1/webhooks/${endpoint}`, permission: 'webhooks:write', scope: 'platform' },
  'POST /api/v1/webhooks/:id/rotate-secret': { method: 'POST', path: () => `/api/v1/webhooks/${endpoint}/rotate-secret`, permission: 'webhooks:write', scope: 'platform', body: () => ({}) },
  'POST /api/v1/webhooks/:id/test': { method: 'POST', path: () => `/api/v1/webhooks/${endpoint}/test`, permission: 'webhooks:write', scope: 'platform' },
  'GET /api/v1/webhooks/:id/deliveries': { method: 'GET', path: () => `/api/v1/webhooks/${endpoint}/deliveries`, permission: 'webhooks:read', scope: 'platform' },
  'GET /api/v1/events': { method: 'GET', path: () => '/api/v1/events', permission: 'events:read', scope: 'any' },
  'GET /api/v1/events/:id': { method: 'GET', path: () => `/api/v1/events/${event}`, permission: 'events:read', scope: 'any' },
  'POST /api/v1/events/:id/redeliver': { method: 'POST', path: () => `/api/v1/events/${event}/redeliver`, permission: 'events:write', scope: 'platform', body: () => ({}) },
  'POST /api/v1/payment-links': {
    method: 'POST',
    path: () => '/api/v1/payment-links',
    permission: 'payment_links:write',
    scope: 'any',
    body: () => ({ amount_type: 'fixed', currency: 'USDC', amount: '1.000000', reference: 'SEC-1' }),
    needsCapability: true,
  },
  'GET /api/v1/payment-links': { method: 'GET', path: () => '/api/v1/payment-links', permission: 'payment_links:read', scope: 'any' },
  'GET /api/v1/payment-links/:id': { method: 'GET', path: () => `/api/v1/payment-links/${paymentLink}`, permission: 'payment_links:read', scope: 'any' },
  'DELETE /api/v1/payment-links/:id': { method: 'DELETE', path: () => `/api/v1/payment-links/${paymentLink}`, permission: 'payment_links:write', scope: 'any' },
  'GET /api/v1/payments': { method: 'GET', path: () => '/api/v1/payments', permission: 'payment_links:read', scope: 'any' },
  'GET /api/v1/payments/:id': { method: 'GET', path: () => `/api/v1/payments/${payment}`, permission: 'payment_links:read', scope: 'any' },
  'POST /api/v1/payments/:id/accept-partial': { method: 'POST', path: () => `/api/v1/payments/${payment}/accept-partial`, permission: 'payment_links:write', scope: 'any' },
  'POST /api/v1/sandbox/payments/:id/simulate': {
    method: 'POST',
    path: () => `/api/v1/sandbox/payments/${payment}/simulate`,
    permission: 'sandbox:write',
    scope: 'any',
    body: () => ({ status: 'settled' }),
    sandboxOnly: true,
    needsCapability: true,
  },
  'POST /api/v1/sandbox/payment-links/:id/pay': {
    method: 'POST',
    path: () => `/api/v1/sandbox/payment-links/${paymentLink}/pay`,
    permission: 'sandbox:write',
    scope: 'any',
    body: () => ({}),
    sandboxOnly: true,
    needsCapability: true,
  },
};

describe('every /api/v1 route is in the route-security table, as it is declared', () => {
  it('the table names exactly the registered routes, each with its declared scope', () => {
    // The key-free routes: the OpenAPI document itself.
    const open = new Set(['GET /api/v1/openapi.json']);
    const registered = ctx.app.declaredRoutes.filter((r) => r.url.startsWith('/api/v1/') && !open.has(`${r.method} ${r.url}`));
    const names = registered.map((r) => `${r.method} ${r.url}`).sort();
    assert.deepEqual(names, Object.keys(routes).sort(), 'a route without an entry here has not passed the shared security suite');
    for (const route of registered) {
      const spec = routes[`${route.method} ${route.url}`] as RouteSpec;
      assert.equal(spec.scope, route.config.scope, `${route.method} ${route.url}: the table and the route disagree on its scope`);
      assert.ok(route.config.permission, `${route.method} ${route.url} declares the permission a restricted key needs`);
      assert.equal(spec.permission, route.config.permission, `${route.method} ${route.url}: the table and the route disagree on its permission`);
      assert.ok(route.config.rateLimitGroup, `${route.method} ${route.url} declares its rate-limit group`);
    }
  });

  it('the routes whose capability checks this suite proves are exactly those the capability catalogue lists', () => {
    const asDocumented = (name: string) => name.replace(/:(\w+)/g, '{$1}');
    const proven = Object.entries(routes).filter(([, spec]) => spec.capability !== undefined || spec.needsCapability).map(([name]) => asDocumented(name));
    const listed = new Set(capabilities.flatMap((c) => capabilityCatalogue[c].routes));
    assert.deepEqual(proven.sort(), [...listed].sort(), 'src/lib/capabilities.ts and this table must name the same routes');
    for (const [name, spec] of Object.entries(routes)) {
      if (spec.capability) assert.ok(capabilitiesOfRoute(asDocumented(name)).includes(spec.capability), `${name} checks ${spec.capability}`);
    }
  });
});

for (const [name, spec] of Object.entries(routes)) describeRouteSecurity(name, () => f, spec);

describe('payment links and payments are isolated across platforms, environments and accounts', () => {
  it("every link and payment route answers 404 for a real link or payment of another platform, environment or account, and changes nothing", async () => {
    const account = await createTestConnectedAccount(ctx, f.platform, 'sandbox');
    await approveAccount(ctx, 'sandbox', account);
    const key = f.platform.keys.sandbox;
    const created = await ctx.call('POST', '/api/v1/payment-links', { key, onBehalfOf: account, body: { amount_type: 'fixed', currency: 'USDC', amount: '2.000000', reference: 'ISO-1' } });
    assert.equal(created.status, 201, created.raw);
    const { id, open_payment_id: paymentId } = created.body;
    const sibling = await createTestConnectedAccount(ctx, f.platform, 'sandbox');
    await approveAccount(ctx, 'sandbox', sibling);
    const otherAccount = await createTestConnectedAccount(ctx, f.other, 'sandbox');
    await approveAccount(ctx, 'sandbox', otherAccount);
    const callers = [
      { key: f.other.keys.sandbox },
      { key: f.other.keys.sandbox, onBehalfOf: otherAccount },
      { key: f.platform.keys.production },
      { key },
      { key, onBehalfOf: sibling },
    ];
    const attempts: [string, string, unknown, string][] = [
      ['GET', `/api/v1/payment-links/${id}`, undefined, 'PAYMENT_LINK_NOT_FOUND'],
      ['DELETE', `/api/v1/payment-links/${id}`, undefined, 'PAYMENT_LINK_NOT_FOUND'],
      ['GET', `/api/v1/payments/${paymentId}`, undefined, 'PAYMENT_NOT_FOUND'],
      ['POST', `/api/v1/payments/${paymentId}/accept-partial`, undefined, 'PAYMENT_NOT_FOUND'],
      ['POST', `/api/v1/sandbox/payments/${paymentId}/simulate`, { status: 'settled' }, 'PAYMENT_NOT_FOUND'],
      ['POST', `/api/v1/sandbox/payment-links/${id}/pay`, {}, 'PAYMENT_LINK_NOT_FOUND'],
    ];
    for (const caller of callers) {
      for (const [method, url, body, code] of attempts) {
        const result = await ctx.call(method, url, { ...caller, body });
        const expected = caller.key === f.platform.keys.production && url.includes('/sandbox/') ? ['403', 'SANDBOX_ONLY'] : ['404', code];
        assert.deepEqual([String(result.status), result.body?.error?.code], expected, `${method} ${url} as ${JSON.stringify(caller)}: ${result.raw}`);
      }
      for (const list of ['/api/v1/payment-links?limit=100', `/api/v1/payments?limit=100&payment_link_id=${id}`]) {
        const result = await ctx.call('GET', list, caller);
        assert.equal(result.status, 200, result.raw);
        assert.ok(!result.raw.includes(id), `${list} as ${JSON.stringify(caller)} shows nothing of another's`);
      }
    }
    const after = await ctx.call('GET', `/api/v1/payments/${paymentId}`, { key, onBehalfOf: account });
    assert.deepEqual([after.body.status, after.body.amount_received], ['awaiting_funds', '0.000000']);
    assert.equal((await ctx.call('GET', `/api/v1/payment-links/${id}`, { key, onBehalfOf: account })).body.status, 'active');
  });
});

describe('every /admin/v1 route that takes a body', () => {
  it('400 INVALID_JSON for a body nested too deep, 413 BODY_TOO_LARGE for one over the limit, as the operator', async () => {
    const bodyRoutes = ctx.app.declaredRoutes.filter((r) => r.url.startsWith('/admin/v1/') && r.method !== 'GET');
    assert.ok(bodyRoutes.length >= 5, 'the operator API has routes that take a body');
    for (const route of bodyRoutes) {
      // Any value serves for a path parameter: the body is refused before parameters are validated.
      const url = route.url.replace(/:(\w+)/g, (_, name: string) => (name === 'id' ? f.platform.id : 'payouts'));
      const send = (body: string, headers: Record<string, string>) =>
        ctx.call(route.method, url, { body, headers: { ...headers, authorization: `Bearer ${ctx.operatorToken}` } });
      await assertBodyBounds(send, ctx.services.config.bodyLimitBytes).catch((error: unknown) => {
        throw new Error(`${route.method} ${route.url}: ${String(error)}`);
      });
    }
  });
});
