// The OpenAPI documents against the live server: every operation of both documents (/api/v1 and /admin/v1) is sent a
// valid request, then the main invalid ones — no credential, a body that breaks its schema, an unknown id, the wrong
// content type, a body over the limit — and every answer must have a status the operation declares, a body that
// validates against that response's schema (ajv, JSON Schema 2020-12: OpenAPI 3.1's dialect) and, for an error, a
// code in the operation's `x-error-codes`. A route that answers an undeclared status, a code its operation does not
// list, or a body its schema refuses fails here.
// pik-test: engine-independent — the documents and the pipeline in front of the handlers are the same on both engines
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { routeErrors } from '../src/http/route-errors.ts';
import { errorCodes } from '../src/lib/errors.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type CallResult, type TestContext, type TestPlatform } from './support/context.ts';
import { approveAccount, bankDestination } from './support/ledger.ts';
import { validKyb, validKyc } from './support/onboarding.ts';
import { uniqueReference } from './support/payment-links.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Operation {
  document: 'public' | 'operator';
  method: string;
  path: string;
  key: string;
  spec: Json;
}

/** A valid request for one operation, built from what earlier operations created (`state`). */
interface ValidRequest {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  onBehalfOf?: string;
  /** The status the request is meant to get; a refusal here is deliberate (said why next to it). */
  expect: number;
  /** Keeps what a later operation needs from the answer. */
  keep?: (body: Json) => void;
}

const bodyLimitBytes = 4096;
let ctx: TestContext;
let platform: TestPlatform;
let documents: { public: Json; operator: Json };
let ajv: Ajv2020;
const state: Record<string, string> = {};
const answered = new Map<string, Set<string>>();

before(async () => {
  ctx = await startTestApp({ bodyLimitBytes });
  platform = await createTestPlatform(ctx);
  documents = { public: (await ctx.call('GET', '/api/v1/openapi.json')).body, operator: (await ctx.admin('GET', '/admin/v1/openapi.json')).body };
  ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  ajv.addSchema(documents.public, 'public.json');
  ajv.addSchema(documents.operator, 'operator.json');

  // Accounts in the states the operations need: a payee with every capability, funds and a virtual account; a
  // business awaiting KYB; an approved account without capabilities; one for the virtual-account operations.
  state.payee = await createTestConnectedAccount(ctx, platform);
  await approveAccount(ctx, 'sandbox', state.payee);
  const key = platform.keys.sandbox;
  const van = await ctx.call('POST', `/api/v1/accounts/${state.payee}/virtual-account`, { key, onBehalfOf: state.payee, body: { account_name: 'Payee Pty Ltd' } });
  assert.equal(van.status, 201, van.raw);
  for (const account of [platform.id, state.payee]) {
    const deposit = await ctx.call('POST', '/api/v1/sandbox/deposits', { key, body: { account_id: account, currency: 'AUD', amount: '1000.00', settle: 'immediately' } });
    assert.equal(deposit.status, 201, deposit.raw);
  }
  state.business = await createTestConnectedAccount(ctx, platform, 'sandbox', { customer_type: 'business' });
  state.bare = await createTestConnectedAccount(ctx, platform);
  await approveAccount(ctx, 'sandbox', state.bare, []);
  state.vanAccount = await createTestConnectedAccount(ctx, platform);
  await approveAccount(ctx, 'sandbox', state.vanAccount);
  const rate = await ctx.admin('PUT', '/admin/v1/fx/rates', { environment: 'sandbox', pair: 'AUD/USD', mid: '0.65', spread_bps: 30 });
  assert.equal(rate.status, 200, rate.raw);
  const endpoint = await ctx.call('POST', '/api/v1/webhooks', { key, body: { url: 'https://hooks.example.com/kept', events: ['*'] } });
  assert.equal(endpoint.status, 201, endpoint.raw);
  state.endpoint = endpoint.body.id;
});
after(() => ctx.close());

const keep = (name: string, field = 'id') => (body: Json) => {
  state[name] = body[field];
};

/** One valid request per operation, in the documents' order; each runs after the ones above it. */
const validRequests: Record<string, () => ValidRequest> = {
  'GET /api/v1/account': () => ({ expect: 200 }),
  'POST /api/v1/accounts': () => ({ body: { customer_type: 'individual', email: 'walk@example.com', country: 'AU', display_name: '😀'.repeat(200) }, expect: 201, keep: keep('created') }),
  'GET /api/v1/accounts': () => ({ query: { limit: '2' }, expect: 200 }),
  'GET /api/v1/accounts/{id}': () => ({ params: { id: state.created as string }, expect: 200 }),
  'PATCH /api/v1/accounts/{id}': () => ({ params: { id: state.created as string }, body: { display_name: 'Walked', metadata: { walk: 'yes' } }, expect: 200 }),
  'POST /api/v1/accounts/{id}/kyc': () => ({ params: { id: state.created as string }, body: validKyc(), expect: 200 }),
  'POST /api/v1/accounts/{id}/kyb': () => ({ params: { id: state.business as string }, body: validKyb(), expect: 200 }),
  'GET /api/v1/accounts/{id}/verification': () => ({ params: { id: state.created as string }, expect: 200 }),
  'GET /api/v1/accounts/{id}/capabilities': () => ({ params: { id: state.payee as string }, expect: 200 }),
  'POST /api/v1/accounts/{id}/capabilities/{name}': () => ({ params: { id: state.bare as string, name: 'payouts' }, expect: 200 }),
  'DELETE /api/v1/accounts/{id}/capabilities/{name}': () => ({ params: { id: state.bare as string, name: 'payouts' }, expect: 200 }),
  'GET /api/v1/accounts/{id}/receiving-details': () => ({ params: { id: state.payee as string }, expect: 200 }),
  'POST /api/v1/sandbox/accounts/{id}/verification': () => ({ params: { id: state.created as string }, body: { status: 'approved' }, expect: 200 }),
  'GET /api/v1/accounts/{id}/wallet/balances': () => ({ params: { id: state.payee as string }, expect: 200 }),
  'GET /api/v1/accounts/{id}/transactions': () => ({ params: { id: state.payee as string }, query: { currency: 'AUD' }, expect: 200 }),
  'POST /api/v1/transfers': () => ({ body: { destination_account_id: state.payee, currency: 'AUD', amount: '10.00', reference: uniqueReference('TR') }, expect: 201, keep: keep('transfer') }),
  'GET /api/v1/transfers': () => ({ query: { account_id: state.payee as string }, expect: 200 }),
  'GET /api/v1/transfers/{id}': () => ({ params: { id: state.transfer as string }, expect: 200 }),
  'POST /api/v1/payouts': () => ({
    onBehalfOf: state.payee,
    body: { currency: 'AUD', amount: '5.00', destination_type: 'bank_account', destination: bankDestination, reference: uniqueReference('PO') },
    expect: 201,
    keep: keep('payout'),
  }),
  'GET /api/v1/payouts': () => ({ onBehalfOf: state.payee, expect: 200 }),
  'GET /api/v1/payouts/{id}': () => ({ onBehalfOf: state.payee, params: { id: state.payout as string }, expect: 200 }),
  'GET /api/v1/fx/rates': () => ({ query: { sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00' }, expect: 200 }),
  'POST /api/v1/fx/quotes': () => ({ onBehalfOf: state.payee, body: { sell_currency: 'AUD', buy_currency: 'USD', sell_amount: '10.00' }, expect: 201, keep: keep('quote') }),
  'GET /api/v1/fx/quotes/{id}': () => ({ onBehalfOf: state.payee, params: { id: state.quote as string }, expect: 200 }),
  'POST /api/v1/fx/conversions': () => ({
    onBehalfOf: state.payee,
    body: { sell_currency: 'AUD', buy_currency: 'USD', conversion_type: 'quote', quote_id: state.quote, sell_amount: '10.00' },
    expect: 201,
    keep: keep('conversion'),
  }),
  'GET /api/v1/fx/conversions': () => ({ onBehalfOf: state.payee, expect: 200 }),
  'GET /api/v1/fx/conversions/{id}': () => ({ onBehalfOf: state.payee, params: { id: state.conversion as string }, expect: 200 }),
  'POST /api/v1/accounts/{id}/virtual-account': () => ({ onBehalfOf: state.vanAccount, params: { id: state.vanAccount as string }, body: { account_name: 'Walk Pty Ltd' }, expect: 201 }),
  'GET /api/v1/accounts/{id}/virtual-account': () => ({ onBehalfOf: state.vanAccount, params: { id: state.vanAccount as string }, expect: 200 }),
  'DELETE /api/v1/accounts/{id}/virtual-account': () => ({ onBehalfOf: state.vanAccount, params: { id: state.vanAccount as string }, expect: 200 }),
  'POST /api/v1/sandbox/deposits': () => ({ body: { account_id: state.payee, currency: 'AUD', amount: '1.00' }, expect: 201 }),
  'POST /api/v1/sandbox/payouts/{id}/simulate': () => ({ onBehalfOf: state.payee, params: { id: state.payout as string }, body: { status: 'completed' }, expect: 200 }),
  'POST /api/v1/webhooks': () => ({ body: { url: 'https://hooks.example.com/walk', events: ['transfer.completed'] }, expect: 201, keep: keep('deleted') }),
  'GET /api/v1/webhooks': () => ({ expect: 200 }),
  'GET /api/v1/webhooks/{id}': () => ({ params: { id: state.endpoint as string }, expect: 200 }),
  'PATCH /api/v1/webhooks/{id}': () => ({ params: { id: state.endpoint as string }, body: { description: 'Walked' }, expect: 200 }),
  'DELETE /api/v1/webhooks/{id}': () => ({ params: { id: state.deleted as string }, expect: 200 }),
  'POST /api/v1/webhooks/{id}/rotate-secret': () => ({ params: { id: state.endpoint as string }, expect: 200 }),
  'POST /api/v1/webhooks/{id}/test': () => ({ params: { id: state.endpoint as string }, expect: 202 }),
  'GET /api/v1/webhooks/{id}/deliveries': () => ({ params: { id: state.endpoint as string }, expect: 200 }),
  'GET /api/v1/events': () => ({ expect: 200, keep: (body) => (state.event = body.data[0].id) }),
  'GET /api/v1/events/{id}': () => ({ params: { id: state.event as string }, expect: 200 }),
  'POST /api/v1/events/{id}/redeliver': () => ({ params: { id: state.event as string }, body: { endpoint_id: state.endpoint }, expect: 202 }),
  'POST /api/v1/payment-links': () => ({
    onBehalfOf: state.payee,
    body: { amount_type: 'fixed', currency: 'AUD', amount: '20.00', reference: uniqueReference('PL') },
    expect: 201,
    keep: keep('link'),
  }),
  'GET /api/v1/payment-links': () => ({ onBehalfOf: state.payee, expect: 200 }),
  'GET /api/v1/payment-links/{id}': () => ({ onBehalfOf: state.payee, params: { id: state.link as string }, expect: 200 }),
  'DELETE /api/v1/payment-links/{id}': () => ({ onBehalfOf: state.payee, params: { id: state.link as string }, expect: 200 }),
  'GET /api/v1/payments': () => ({ onBehalfOf: state.payee, expect: 200 }),
  // No payment exists yet (the link above was cancelled); the next two are answered 404 by design, declared.
  'GET /api/v1/payments/{id}': () => ({ onBehalfOf: state.payee, params: { id: 'pay_none' }, expect: 404 }),
  'POST /api/v1/payments/{id}/accept-partial': () => ({ onBehalfOf: state.payee, params: { id: 'pay_none' }, expect: 404 }),
  'POST /api/v1/sandbox/payments/{id}/simulate': () => ({ onBehalfOf: state.payee, params: { id: 'pay_none' }, body: { status: 'settled' }, expect: 404 }),
  // The link was cancelled: the payer's money is held as unmatched funds, for the operator below.
  'POST /api/v1/sandbox/payment-links/{id}/pay': () => ({ onBehalfOf: state.payee, params: { id: state.link as string }, body: {}, expect: 201, keep: keep('unmatched', 'unmatched_funds_id') }),
  // the operator API
  'POST /admin/v1/platforms': () => ({ body: { name: 'Walked platform', owner_email: 'walk-owner@example.com' }, expect: 201 }),
  'GET /admin/v1/platforms': () => ({ expect: 200 }),
  'GET /admin/v1/platforms/{id}/rate-limits': () => ({ params: { id: platform.id }, expect: 200 }),
  'PUT /admin/v1/platforms/{id}/rate-limits': () => ({ params: { id: platform.id }, body: { limits: { general: 1000 } }, expect: 200 }),
  'POST /admin/v1/platforms/{id}/keys': () => ({ params: { id: platform.id }, body: { environment: 'sandbox', name: 'walk' }, expect: 201, keep: keep('key') }),
  'GET /admin/v1/platforms/{id}/keys': () => ({ params: { id: platform.id }, expect: 200 }),
  'PATCH /admin/v1/keys/{id}': () => ({ params: { id: state.key as string }, body: { allowed_ips: null }, expect: 200 }),
  'DELETE /admin/v1/keys/{id}': () => ({ params: { id: state.key as string }, expect: 200 }),
  'POST /admin/v1/keys/{id}/roll': () => ({ params: { id: platform.keyIds.production }, body: { expires_in_seconds: 60 }, expect: 201 }),
  'GET /admin/v1/verifications': () => ({ query: { environment: 'sandbox' }, expect: 200 }),
  'GET /admin/v1/verifications/{account_id}': () => ({ params: { account_id: state.business as string }, query: { environment: 'sandbox' }, expect: 200 }),
  'POST /admin/v1/verifications/{account_id}/decision': () => ({ params: { account_id: state.business as string }, body: { environment: 'sandbox', status: 'approved' }, expect: 200 }),
  'POST /admin/v1/platforms/{id}/capabilities/{name}': () => ({ params: { id: platform.id, name: 'payouts' }, body: { environment: 'production' }, expect: 200 }),
  'DELETE /admin/v1/platforms/{id}/capabilities/{name}': () => ({ params: { id: platform.id, name: 'payouts' }, query: { environment: 'production' }, expect: 200 }),
  'POST /admin/v1/deposits': () => ({ body: { environment: 'sandbox', account_id: state.payee, currency: 'AUD', amount: '3.00', reference: uniqueReference('AD') }, expect: 201 }),
  'GET /admin/v1/payouts': () => ({ query: { environment: 'sandbox' }, expect: 200 }),
  // The sandbox payout above was completed by the simulator: completing it again returns it; failing it is a 409.
  'POST /admin/v1/payouts/{id}/complete': () => ({ params: { id: state.payout as string }, body: { environment: 'sandbox' }, expect: 200 }),
  'POST /admin/v1/payouts/{id}/fail': () => ({ params: { id: state.payout as string }, body: { environment: 'sandbox', reason: 'Closed account' }, expect: 409 }),
  'GET /admin/v1/unmatched-funds': () => ({ query: { environment: 'sandbox' }, expect: 200 }),
  'POST /admin/v1/unmatched-funds/{id}/assign': () => ({ params: { id: state.unmatched as string }, body: { environment: 'sandbox' }, expect: 200 }),
  // …and once assigned they cannot be returned.
  'POST /admin/v1/unmatched-funds/{id}/return': () => ({ params: { id: state.unmatched as string }, body: { environment: 'sandbox' }, expect: 409 }),
  'PUT /admin/v1/fx/rates': () => ({ body: { environment: 'sandbox', pair: 'AUD/SGD', mid: '0.88', spread_bps: 25 }, expect: 200 }),
  'GET /admin/v1/fx/rates': () => ({ query: { environment: 'sandbox' }, expect: 200 }),
  'GET /admin/v1/fx/positions': () => ({ query: { environment: 'sandbox' }, expect: 200 }),
  'GET /admin/v1/audit-log': () => ({ query: { platform: platform.id }, expect: 200 }),
  'GET /admin/v1/backup': () => ({ expect: 200 }),
};

function operationsOf(): Operation[] {
  const operations: Operation[] = [];
  for (const document of ['public', 'operator'] as const) {
    for (const [path, item] of Object.entries(documents[document].paths as Record<string, Json>)) {
      for (const [method, spec] of Object.entries(item)) operations.push({ document, method: method.toUpperCase(), path, key: `${method.toUpperCase()} ${path}`, spec });
    }
  }
  return operations;
}

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Checks one answer against the operation: a declared status, a body its schema accepts, a listed error code. */
function checkAnswer(operation: Operation, result: CallResult, what: string): void {
  const label = `${operation.key} (${what}) answered ${result.status} ${result.raw.slice(0, 300)}`;
  const declared = operation.spec.responses[String(result.status)];
  assert.ok(declared, `${label}: status ${result.status} is not declared (declared: ${Object.keys(operation.spec.responses).join(', ')})`);
  const contentType = String(result.headers['content-type'] ?? '').split(';')[0] as string;
  if (result.status < 400 && contentType !== 'application/json' && contentType !== '') {
    // A file (the operator's backup): its media type must be the declared one; there is no JSON body to check.
    assert.ok(declared.content?.[contentType], `${label}: ${contentType} is not a declared media type of ${result.status}`);
    return;
  }
  const media = declared.content?.['application/json'];
  assert.ok(media, `${label}: the declared response has no application/json schema`);
  const validate = ajv.getSchema(`${operation.document}.json#/${pointer('paths', operation.path, operation.method.toLowerCase(), 'responses', String(result.status), 'content', 'application/json', 'schema')}`);
  assert.ok(validate, `${label}: no schema`);
  assert.ok(validate(result.body), `${label}: the body does not match the declared schema: ${ajv.errorsText(validate.errors)}`);
  if (result.status >= 400) {
    const code = result.body.error.code as string;
    assert.ok((operation.spec['x-error-codes'] as string[]).includes(code), `${label}: ${code} is not in x-error-codes`);
    const seen = answered.get(operation.key) ?? new Set<string>();
    seen.add(code);
    answered.set(operation.key, seen);
  }
}

function urlOf(operation: Operation, params: Record<string, string> = {}, query: Record<string, string> = {}): string {
  const path = operation.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name] ?? `unknown_${name}`));
  const search = new URLSearchParams(query).toString();
  return search ? `${path}?${search}` : path;
}

async function send(operation: Operation, request: { url: string; body?: unknown; onBehalfOf?: string; credential?: boolean; headers?: Record<string, string> }): Promise<CallResult> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.credential !== false) headers.authorization = `Bearer ${operation.document === 'operator' ? ctx.operatorToken : platform.keys.sandbox}`;
  if (request.onBehalfOf !== undefined) headers['x-on-behalf-of'] = request.onBehalfOf;
  return ctx.call(operation.method, request.url, { headers, body: request.body });
}

describe('every operation of the OpenAPI documents, against the live server', () => {
  it('has a valid request here and a domain-code entry in src/http/route-errors.ts', () => {
    const keys = operationsOf().map((o) => o.key);
    assert.deepEqual(keys.filter((k) => !(k in validRequests)), [], 'operations without a valid request in this test');
    assert.deepEqual(Object.keys(validRequests).filter((k) => !keys.includes(k)), [], 'requests here for operations the documents lack');
    assert.deepEqual(keys.filter((k) => !(k in routeErrors)), [], 'operations without an entry in src/http/route-errors.ts');
    for (const operation of operationsOf()) {
      for (const code of operation.spec['x-error-codes'] as string[]) assert.ok(errorCodes.includes(code as never), `${operation.key}: ${code}`);
    }
  });

  it('has examples that match their own schemas, and curl and TypeScript samples, on every operation', () => {
    for (const operation of operationsOf()) {
      const base = ['paths', operation.path, operation.method.toLowerCase()];
      const media = operation.spec.requestBody?.content?.['application/json'];
      const checks: [string[], unknown][] = media ? [[[...base, 'requestBody', 'content', 'application/json', 'schema'], media.example]] : [];
      for (const [status, response] of Object.entries(operation.spec.responses as Record<string, Json>)) {
        const content = response.content?.['application/json'];
        assert.ok(response.description && response.description !== 'Default Response', `${operation.key} ${status}: no description`);
        if (content) checks.push([[...base, 'responses', status, 'content', 'application/json', 'schema'], content.example]);
      }
      for (const [path, example] of checks) {
        assert.ok(example !== undefined, `${operation.key}: no example at ${path.join('/')}`);
        const validate = ajv.getSchema(`${operation.document}.json#/${pointer(...path)}`);
        assert.ok(validate?.(example), `${operation.key}: the example at ${path.slice(3).join('/')} does not match: ${ajv.errorsText(validate?.errors)}`);
      }
      assert.deepEqual(
        (operation.spec['x-codeSamples'] as Json[]).map((sample) => sample.lang),
        ['Shell', 'TypeScript'],
        operation.key,
      );
    }
  });

  it('answers a valid request with the intended, declared status and a body matching its schema', async () => {
    for (const operation of operationsOf()) {
      const request = (validRequests[operation.key] as () => ValidRequest)();
      const result = await send(operation, { url: urlOf(operation, request.params, request.query), body: request.body, onBehalfOf: request.onBehalfOf });
      checkAnswer(operation, result, 'valid request');
      assert.equal(result.status, request.expect, `${operation.key}: ${result.raw.slice(0, 400)}`);
      request.keep?.(result.body);
    }
  });

  it('answers the invalid ones with a declared status, the error schema and a listed code', async () => {
    for (const operation of operationsOf()) {
      const request = (validRequests[operation.key] as () => ValidRequest)();
      const url = urlOf(operation, request.params, request.query);
      const takesBody = operation.spec.requestBody !== undefined || ['POST', 'PUT', 'PATCH'].includes(operation.method);

      const unauthenticated = await send(operation, { url, body: request.body, onBehalfOf: request.onBehalfOf, credential: false });
      checkAnswer(operation, unauthenticated, 'no credential');
      assert.equal(unauthenticated.status, 401, operation.key);

      if (/\{\w+\}/.test(operation.path)) {
        const unknown = await send(operation, { url: urlOf(operation, {}, request.query), body: request.body });
        checkAnswer(operation, unknown, 'unknown id');
        assert.ok([400, 404].includes(unknown.status), `${operation.key}: unknown id answered ${unknown.status}`);
      }
      if (operation.spec.requestBody) {
        const broken = await send(operation, { url, body: { walked_unknown_field: true }, onBehalfOf: request.onBehalfOf });
        checkAnswer(operation, broken, 'bad body');
        assert.equal(broken.status, 400, `${operation.key}: ${broken.raw}`);
        const notJson = await send(operation, { url, body: '{"a":', onBehalfOf: request.onBehalfOf, headers: { 'content-type': 'application/json' } });
        checkAnswer(operation, notJson, 'malformed JSON');
        assert.equal(notJson.body.error.code, 'INVALID_JSON', operation.key);
      }
      if (takesBody) {
        const text = await send(operation, { url, body: 'plain text', onBehalfOf: request.onBehalfOf, headers: { 'content-type': 'text/plain' } });
        checkAnswer(operation, text, 'wrong content type');
        assert.equal(text.status, 415, operation.key);
        const oversize = await send(operation, { url, body: JSON.stringify({ pad: 'x'.repeat(bodyLimitBytes) }), onBehalfOf: request.onBehalfOf, headers: { 'content-type': 'application/json' } });
        checkAnswer(operation, oversize, 'oversize');
        assert.equal(oversize.status, 413, operation.key);
      }
    }
  });

  it('documents what the walk saw: every code answered is listed, and 401, 415 and 413 are declared where they happened', () => {
    assert.ok(answered.size > 0);
    for (const [key, codes] of answered) {
      const operation = operationsOf().find((o) => o.key === key) as Operation;
      for (const code of codes) assert.ok((operation.spec['x-error-codes'] as string[]).includes(code), `${key}: ${code}`);
    }
  });
});
