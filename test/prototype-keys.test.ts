// Names that every plain object already answers to ("__proto__", "constructor", "toString", …) fed into every lookup
// keyed by request input: each path parameter of every registered route, query values and names, every string field
// of every body and form (enum-ish ones included: currency, capability, environment, status, …), header values and
// names. Each is a 4xx in our shape (or a page, or 2xx where the value is legitimate text) — never a 500.
// pik-test: engine-independent — prototype names in request-keyed lookups are answered at the HTTP edge, before any query
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '../src/lib/ids.ts';
import { dashboardClient, testPassword, type DashboardClient } from './support/dashboard.ts';
import { createTestConnectedAccount, createTestKey, startTestApp, type CallResult, type TestContext, type TestPlatform } from './support/context.ts';
import { bankDestination } from './support/ledger.ts';
import { validKyb, validKyc } from './support/onboarding.ts';

const prototypeNames = ['__proto__', 'constructor', 'hasOwnProperty', 'valueOf', 'toString', 'prototype'];

let ctx: TestContext;
let platform: TestPlatform;
let account: string;
let business: string;
let spareKeyId: string;
let client: DashboardClient;
const payoutId = newId('payout');

before(async () => {
  ctx = await startTestApp();
  const email = `owner-${Date.now()}@example.test`;
  const created = await ctx.admin('POST', '/admin/v1/platforms', { name: 'Prototype', owner_email: email, owner_password: testPassword });
  assert.equal(created.status, 201, created.raw);
  const id = created.body.id as string;
  const [sandbox, production, spare] = [await createTestKey(ctx, id, 'sandbox'), await createTestKey(ctx, id, 'production'), await createTestKey(ctx, id, 'sandbox')];
  platform = { id, name: 'Prototype', keys: { sandbox: sandbox.secret, production: production.secret }, keyIds: { sandbox: sandbox.id, production: production.id } };
  spareKeyId = spare.id;
  account = await createTestConnectedAccount(ctx, platform);
  business = await createTestConnectedAccount(ctx, platform, 'sandbox', { customer_type: 'business' });
  client = dashboardClient(ctx);
  const signedIn = await client.signIn(email, testPassword);
  assert.equal(signedIn.status, 303);
});
after(() => ctx.close());

type Area = 'api' | 'admin' | 'dashboard' | 'pay' | 'other';
const areaOf = (url: string): Area =>
  url.startsWith('/api/v1/') ? 'api' : url.startsWith('/admin/v1/') ? 'admin' : url.startsWith('/dashboard') ? 'dashboard' : url.startsWith('/pay/') ? 'pay' : 'other';

/** A valid value for each path parameter, so that only the one under test is odd. */
function validParam(url: string, name: string): string {
  if (name === 'name') return 'payouts';
  if (name === 'environment') return 'sandbox';
  if (name === 'keyId') return spareKeyId;
  if (name === 'userId') return newId('user');
  if (name === 'accountId' || name === 'account_id') return account;
  if (name === '*') return 'index.css';
  if (url.includes('/payouts/:id')) return payoutId;
  if (url.startsWith('/admin/v1/keys/')) return newId('apiKey');
  if (url.startsWith('/admin/v1/')) return platform.id;
  if (url.includes('/kyb')) return business;
  return account;
}

/** A valid body for every route that takes one; the test fails for a new route until it has a line here. */
function baseBody(method: string, url: string): Record<string, unknown> | undefined {
  const bodies: Record<string, Record<string, unknown> | undefined> = {
    'POST /api/v1/accounts': { customer_type: 'individual', email: 'proto@example.test', country: 'AU', reference_id: 'ref' },
    'PATCH /api/v1/accounts/:id': { display_name: 'Proto', email: 'proto2@example.test', reference_id: 'ref-2', metadata: { k: 'v' } },
    'POST /api/v1/accounts/:id/kyc': validKyc(),
    'POST /api/v1/accounts/:id/kyb': validKyb(),
    'POST /api/v1/sandbox/accounts/:id/verification': { status: 'action_required', reason: 'Blurry' },
    'POST /api/v1/accounts/:id/capabilities/:name': undefined,
    'DELETE /api/v1/accounts/:id/capabilities/:name': undefined,
    'POST /api/v1/transfers': { destination_account_id: account, currency: 'AUD', amount: '1.00', reference: 'r', description: 'd' },
    'POST /api/v1/payouts': { currency: 'AUD', amount: '1.00', destination_type: 'bank_account', destination: bankDestination, reference: 'p' },
    'POST /api/v1/fx/quotes': { sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00' },
    'POST /api/v1/fx/conversions': { sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00', conversion_type: 'rate', reference: 'fx' },
    'PUT /admin/v1/fx/rates': { environment: 'sandbox', pair: 'AUD/USD', mid: '0.65', spread_bps: 30 },
    'POST /api/v1/sandbox/payouts/:id/simulate': { status: 'failed', failure_reason: 'Closed' },
    'POST /api/v1/sandbox/deposits': { currency: 'AUD', amount: '1.00', sender_name: 'Sender' },
    'POST /api/v1/accounts/:id/virtual-account': { account_name: 'Name' },
    'DELETE /api/v1/accounts/:id/virtual-account': undefined,
    'POST /api/v1/webhooks': { url: 'https://hooks.example.com/proto', events: ['*'], description: 'd' },
    'PATCH /api/v1/webhooks/:id': { description: 'd', status: 'enabled' },
    'DELETE /api/v1/webhooks/:id': undefined,
    'POST /api/v1/webhooks/:id/rotate-secret': { expires_in_seconds: 60 },
    'POST /api/v1/webhooks/:id/test': undefined,
    'POST /api/v1/events/:id/redeliver': { endpoint_id: 'we_01m8g5hycd5qba505sf93e83c5' },
    'POST /api/v1/payment-links': {
      amount_type: 'fixed',
      currency: 'AUD',
      amount: '1.00',
      reference: 'PROTO',
      expiry: '1h',
      merchant_name: 'M',
      merchant_logo_url: 'https://cdn.example.com/l.png',
      redirect_url: 'https://example.com/done',
      webhook_url: 'https://hooks.example.com/l',
      metadata: { k: 'v' },
    },
    'DELETE /api/v1/payment-links/:id': undefined,
    'POST /api/v1/payments/:id/accept-partial': undefined,
    'POST /api/v1/sandbox/payments/:id/simulate': { status: 'underpaid', amount_received: '0.50' },
    'POST /api/v1/sandbox/payment-links/:id/pay': { amount: '1.00', currency: 'AUD', sender_name: 'S' },
    'POST /admin/v1/unmatched-funds/:id/assign': { environment: 'sandbox', note: 'n' },
    'POST /admin/v1/unmatched-funds/:id/return': { environment: 'sandbox', note: 'n' },
    'POST /admin/v1/platforms': { name: 'P', owner_email: 'o@example.test', owner_password: 'a long enough password' },
    'PUT /admin/v1/platforms/:id/rate-limits': { limits: { general: 500 } },
    'POST /admin/v1/platforms/:id/keys': { environment: 'sandbox', name: 'k' },
    'DELETE /admin/v1/keys/:id': undefined,
    'PATCH /admin/v1/keys/:id': { permissions: { payouts: 'read' }, allowed_ips: ['192.0.2.1'] },
    'POST /admin/v1/keys/:id/roll': { expires_in_seconds: 60 },
    'POST /admin/v1/verifications/:account_id/decision': { environment: 'sandbox', status: 'rejected', reason: 'No' },
    'POST /admin/v1/platforms/:id/capabilities/:name': { environment: 'sandbox' },
    'DELETE /admin/v1/platforms/:id/capabilities/:name': undefined,
    'POST /admin/v1/deposits': { environment: 'sandbox', account_id: account, currency: 'AUD', amount: '1.00', reference: 'd', sender_name: 'S' },
    'POST /admin/v1/payouts/:id/complete': { environment: 'sandbox' },
    'POST /admin/v1/payouts/:id/fail': { environment: 'sandbox', reason: 'Closed' },
    'POST /dashboard/sign-in': { email: 'nobody@example.test', password: 'wrong password', next: '/dashboard' },
    'POST /dashboard/sign-out': undefined,
    'POST /dashboard/set-password': { token: 'x', new_password: 'a long new password', confirm_password: 'a long new password' },
    'POST /dashboard/settings/password': { current_password: 'wrong', new_password: 'another long one', confirm_password: 'another long one' },
    'POST /dashboard/settings/api-keys/:environment': { name: 'k', form_id: 'f' },
    'POST /dashboard/settings/api-keys/:environment/:keyId/delete': {},
    'POST /dashboard/settings/api-keys/:environment/:keyId/roll': { expires_in_seconds: '3600' },
    'POST /dashboard/settings/api-keys/:environment/:keyId/allowlist': { allowed_ips: '192.0.2.1' },
    'POST /dashboard/settings/team/invite': { email: 'invitee@example.test' },
    'POST /dashboard/settings/team/:userId/remove': {},
    'POST /dashboard/switch-platform': { platform_id: 'plat_unknown' },
    'POST /dashboard/settings/webhooks/:environment': { form_id: 'f', url: 'https://hooks.example.com/dash', description: 'd', all_events: 'on', 'event:payout.failed': 'on' },
    'POST /dashboard/settings/webhooks/:environment/:id': { url: 'https://hooks.example.com/dash', description: 'd', 'event:payout.failed': 'on' },
    'POST /dashboard/settings/webhooks/:environment/:id/test': {},
    'POST /dashboard/settings/webhooks/:environment/:id/resend': { event_id: 'evt_01m8g5hycd5qba505sf93e83c5' },
    'POST /dashboard/settings/webhooks/:environment/:id/status': { status: 'disabled' },
    'POST /dashboard/settings/webhooks/:environment/:id/rotate': { form_id: 'f', expires_in_seconds: '0' },
    'POST /dashboard/settings/webhooks/:environment/:id/delete': {},
    'POST /dashboard/developers/events/:environment/:eventId/resend': { endpoint_id: 'we_01m8g5hycd5qba505sf93e83c5' },
    'POST /dashboard/payments/links/:environment': { account_id: account, currency: 'USDC', amount_type: 'fixed', amount: '1.000000', reference: 'PROTO', expiry: '1d', merchant_name: 'M', redirect_url: 'https://example.com/', single_use: 'on' },
    'POST /dashboard/payments/links/:environment/:id/cancel': {},
  };
  const name = `${method} ${url}`;
  assert.ok(name in bodies, `${name} takes a body: give it a line in baseBody()`);
  return bodies[name];
}

/** Sends as the route's caller would: a platform key, the operator token, or the signed-in dashboard user (with CSRF). */
async function send(method: string, url: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<CallResult> {
  const area = areaOf(url);
  if (area === 'dashboard') {
    const form = (options.body ?? {}) as Record<string, string>;
    if (method === 'GET' && options.headers) {
      const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const response = await ctx.app.inject({ method: 'GET', url, headers: { cookie, ...options.headers } });
      return { status: response.statusCode, headers: response.headers, body: undefined, raw: response.body };
    }
    // Signed-out forms (sign-in, set-password) carry the pre-session CSRF token: a fresh visitor sends them.
    const isPublicForm = url === '/dashboard/sign-in' || url === '/dashboard/set-password';
    const sender = isPublicForm ? dashboardClient(ctx) : client;
    if (isPublicForm) await sender.get('/dashboard/sign-in');
    const page = method === 'GET' ? await sender.get(url) : await sender.post(url, form, { headers: options.headers ?? {} });
    return { status: page.status, headers: page.headers, body: undefined, raw: page.body };
  }
  // The hosted payment page is public: a payer has no credentials.
  if (area === 'pay') return ctx.call(method, url, { headers: options.headers });
  const auth = area === 'admin' ? `Bearer ${ctx.operatorToken}` : `Bearer ${platform.keys.sandbox}`;
  return ctx.call(method, url, { body: options.body, headers: { authorization: auth, ...options.headers } });
}

function assertAnswered(label: string, method: string, url: string, result: CallResult): void {
  assert.ok(result.status < 500, `${label}: ${method} ${url} → ${result.status} ${result.raw.slice(0, 300)}`);
  if (areaOf(url) !== 'dashboard' && areaOf(url) !== 'pay' && result.status >= 400) {
    assert.equal(typeof result.body?.error?.code, 'string', `${label}: ${method} ${url} → not our error shape: ${result.raw.slice(0, 300)}`);
    assert.equal(result.body.error.request_id, result.headers['x-request-id'], `${label}: ${method} ${url}`);
  }
}

/** Every string inside `value`, as a path of keys, so each can be replaced in turn. */
function stringPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (typeof value === 'string') return [path];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => stringPaths(v, [...path, Array.isArray(value) ? Number(k) : k]));
}

function withValue(body: unknown, path: (string | number)[], replacement: string): unknown {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path[path.length - 1] as string | number] = replacement;
  return copy;
}

const routes = () => ctx.app.declaredRoutes.filter((r) => areaOf(r.url) !== 'other' || r.url.startsWith('/docs'));
// (the hosted payment page's routes are 'pay': answered as pages, never in the API's error shape)
const paramsOf = (url: string): string[] => [...url.matchAll(/:(\w+)|(\*)$/g)].map((m) => m[1] ?? '*');
const fill = (url: string, values: Record<string, string>): string =>
  url.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(values[name] as string)).replace(/\*$/, encodeURIComponent(values['*'] ?? ''));

describe('prototype names in request-keyed lookups', () => {
  it('in each path parameter of every registered route', async () => {
    for (const route of routes()) {
      const params = paramsOf(route.url);
      const body = route.method === 'GET' ? undefined : baseBody(route.method, route.url);
      for (const param of params) {
        for (const name of prototypeNames) {
          const values = Object.fromEntries(params.map((p) => [p, p === param ? name : validParam(route.url, p)]));
          const url = fill(route.url, values);
          assertAnswered(`path parameter ${param}=${name}`, route.method, url, await send(route.method, url, { body }));
        }
      }
    }
    // The one that was a 500: static assets are served without a session.
    for (const name of prototypeNames) {
      const result = await ctx.app.inject({ method: 'GET', url: `/dashboard/assets/${name}` });
      assert.equal(result.statusCode, 404, `/dashboard/assets/${name}`);
    }
  });

  it('in query values and query names', async () => {
    const documented = new Map<string, string[]>();
    const openapi = (await ctx.call('GET', '/api/v1/openapi.json')).body as { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>> };
    for (const [path, operations] of Object.entries(openapi.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const names = (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
        documented.set(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, names);
      }
    }
    const dashboardNames = ['q', 'cursor', 'next', 'token', 'deleted', 'removed', 'signed_out', 'password_set', 'type', 'done', 'resent', 'status', 'created', 'cancelled', 'since'];
    for (const route of routes().filter((r) => r.method === 'GET')) {
      const path = fill(route.url, Object.fromEntries(paramsOf(route.url).map((p) => [p, validParam(route.url, p)])));
      const names = areaOf(route.url) === 'dashboard' ? dashboardNames : (documented.get(`${route.method} ${route.url}`) ?? []);
      for (const name of prototypeNames) {
        for (const query of [...names.map((n) => `${n}=${encodeURIComponent(name)}`), `${name}=1`, prototypeNames.map((n) => `${n}=${name}`).join('&')]) {
          assertAnswered(`query ${query}`, 'GET', `${path}?${query}`, await send('GET', `${path}?${query}`));
        }
      }
    }
  });

  it('in every string field of every body and form (currency, capability, environment, status, …) and as field names', async () => {
    for (const route of routes().filter((r) => r.method !== 'GET')) {
      const body = baseBody(route.method, route.url);
      if (body === undefined || route.url === '/dashboard/sign-out') continue;
      const url = fill(route.url, Object.fromEntries(paramsOf(route.url).map((p) => [p, validParam(route.url, p)])));
      for (const name of prototypeNames) {
        for (const path of stringPaths(body)) {
          assertAnswered(`field ${path.join('.')}=${name}`, route.method, url, await send(route.method, url, { body: withValue(body, path, name) }));
        }
        assertAnswered(`field named ${name}`, route.method, url, await send(route.method, url, { body: { ...body, [name]: 'x' } }));
      }
      // Raw JSON, so "__proto__" really is a key of the text (an object literal would set the prototype instead).
      if (areaOf(route.url) !== 'dashboard') {
        const raw = `{${prototypeNames.map((n) => `"${n}":{"${n}":"x"}`).join(',')},${JSON.stringify(body).slice(1)}`;
        assertAnswered('fields named like prototype members', route.method, url, await send(route.method, url, { body: raw, headers: { 'content-type': 'application/json' } }));
      }
    }
  });

  it('in header values and header names', async () => {
    const headers = ['x-on-behalf-of', 'idempotency-key', 'authorization', 'content-type', 'accept', 'cookie', 'origin', 'sec-fetch-site', 'x-forwarded-for', 'accept-language'];
    const targets: [string, string, unknown][] = [
      ['GET', '/api/v1/account', undefined],
      ['POST', '/api/v1/transfers', baseBody('POST', '/api/v1/transfers')],
      ['GET', '/admin/v1/platforms', undefined],
      ['GET', '/dashboard/settings/api-keys/sandbox', undefined],
      ['POST', '/dashboard/settings/api-keys/sandbox', { name: 'k', form_id: 'header-test' }],
    ];
    for (const [method, url, body] of targets) {
      for (const name of prototypeNames) {
        for (const header of headers) assertAnswered(`header ${header}: ${name}`, method, url, await send(method, url, { body, headers: { [header]: name } }));
        assertAnswered(`header named ${name}`, method, url, await send(method, url, { body, headers: { [name.toLowerCase()]: 'x' } }));
      }
    }
  });

  it('logged no error on the way', () => {
    const errors = ctx.logLines.filter((line) => /"level":(50|60)/.test(line));
    assert.deepEqual(errors, []);
  });
});
