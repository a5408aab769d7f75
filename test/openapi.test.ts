// The OpenAPI documents are generated from the route schemas: the public one and the reference page are served without
// a key and hold only /api/v1; the operator API's is served behind the operator token.
// pik-test: engine-independent — the OpenAPI documents are generated from the route schemas
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { eventCatalogue, eventTypes, type EventType } from '../src/domain/event-types.ts';
import { capabilities, capabilityCatalogue } from '../src/lib/capabilities.ts';
import { currencies } from '../src/lib/currencies.ts';
import { generateWebhookSecret, signDelivery } from '../src/lib/webhook-signature.ts';
import { createTestPlatform, startTestApp, type TestContext } from './support/context.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const addDraft07Formats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

describe('OpenAPI and health', () => {
  it('GET /health answers 200 without a key', async () => {
    const result = await ctx.call('GET', '/health');
    assert.equal(result.status, 200);
    assert.deepEqual(result.body, { status: 'ok' });
  });

  it('every route schema is valid JSON Schema (the server compiles them without checking: src/http/validation.ts)', () => {
    const ajv = addDraft07Formats(new Ajv({ strict: false }));
    const problems: string[] = [];
    let checked = 0;
    for (const route of ctx.app.declaredRoutes) {
      const schema = (route.schema ?? {}) as Record<string, unknown>;
      const parts = Object.entries(schema).filter(([part]) => ['body', 'querystring', 'params', 'headers'].includes(part));
      const responses = Object.entries((schema.response ?? {}) as Record<string, unknown>).map(([status, part]) => [`response ${status}`, part] as const);
      for (const [part, partSchema] of [...parts, ...responses]) {
        checked++;
        if (!ajv.validateSchema(partSchema as object)) problems.push(`${route.method} ${route.url} ${part}: ${ajv.errorsText(ajv.errors)}`);
      }
    }
    assert.ok(checked > 200, `only ${checked} schemas found`);
    assert.deepEqual(problems, []);
  });

  it('GET /api/v1/openapi.json is OpenAPI 3.1 with every public route, its security and its error shape', async () => {
    const result = await ctx.call('GET', '/api/v1/openapi.json');
    assert.equal(result.status, 200);
    assert.equal(result.body.openapi, '3.1.0');
    for (const path of ['/api/v1/account', '/api/v1/accounts', '/api/v1/accounts/{id}']) assert.ok(result.body.paths[path], path);
    assert.deepEqual(result.body.paths['/api/v1/account'].get.security, [{ apiKey: [] }]);
    assert.ok(result.body.components.securitySchemes.apiKey);
    assert.ok(result.body.components.schemas.ErrorResponse);
    assert.ok(result.body.paths['/api/v1/accounts'].post.requestBody);
  });

  it('lists catalogue values as enums, also for fields the domain checks itself (so they keep their own error codes)', async () => {
    const doc = (await ctx.call('GET', '/api/v1/openapi.json')).body;
    const bodyOf = (path: string) => doc.paths[path].post.requestBody.content['application/json'].schema;
    assert.deepEqual(bodyOf('/api/v1/transfers').properties.currency.enum, [...currencies]);
    assert.deepEqual(bodyOf('/api/v1/payouts').properties.currency.enum, [...currencies]);
    assert.deepEqual(bodyOf('/api/v1/sandbox/deposits').properties.currency.enum, [...currencies]);
    const currencyParameter = doc.paths['/api/v1/accounts/{id}/transactions'].get.parameters.find((p: { name: string }) => p.name === 'currency');
    assert.deepEqual(currencyParameter.schema.enum, [...currencies]);
    const balances = doc.paths['/api/v1/accounts/{id}/wallet/balances'].get.responses['200'].content['application/json'].schema;
    assert.deepEqual(balances.properties.data.items.properties.currency.enum, [...currencies]);
    assert.ok(!JSON.stringify(doc).includes('x-pik-domain-enum'));

    // The document is a copy: the route still accepts any value and answers with the domain's own error.
    const platform = await createTestPlatform(ctx);
    const refused = await ctx.call('POST', '/api/v1/transfers', { key: platform.keys.sandbox, body: { destination_account_id: platform.id, currency: 'XTS', amount: '1.00' } });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'UNSUPPORTED_CURRENCY');
    assert.deepEqual(refused.body.error.detail.supported, [...currencies]);
  });

  it('derives capabilities from their catalogue: the account shape, the name parameter, and a note on every route that checks one', async () => {
    const doc = (await ctx.call('GET', '/api/v1/openapi.json')).body;
    assert.deepEqual(Object.keys(doc.components.schemas.Account.properties.capabilities.properties), [...capabilities]);
    const nameParameter = doc.paths['/api/v1/accounts/{id}/capabilities/{name}'].post.parameters.find((p: { name: string }) => p.name === 'name');
    assert.deepEqual(nameParameter.schema.enum, [...capabilities]);
    const noted: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths as Record<string, Record<string, { description?: string }>>)) {
      for (const [method, operation] of Object.entries(operations)) {
        const needs = [...(operation.description ?? '').matchAll(/Needs the (.*) capability/g)].flatMap((m) => [...(m[1] ?? '').matchAll(/`(\w+)`/g)].map((n) => n[1]));
        for (const capability of needs) noted.push(`${capability} ${method.toUpperCase()} ${path}`);
      }
    }
    const listed = capabilities.flatMap((c) => capabilityCatalogue[c].routes.map((route) => `${c} ${route}`));
    assert.deepEqual(noted.sort(), listed.sort());
  });

  it('the public document (and /docs) holds the /api/v1 routes only: nothing of the operator API', async () => {
    const expected = ctx.app.declaredRoutes
      .filter((r) => r.url.startsWith('/api/v1/') && r.url !== '/api/v1/openapi.json')
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    for (const url of ['/api/v1/openapi.json', '/docs/openapi.json']) {
      const result = await ctx.call('GET', url);
      assert.equal(result.status, 200, url);
      const listed = Object.entries(result.body.paths as Record<string, object>).flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`));
      assert.deepEqual(listed.sort(), [...expected].sort(), url);
      assert.deepEqual(Object.keys(result.body.components.securitySchemes), ['apiKey'], url);
      // The webhooks section is the event catalogue, public by design, whose data may name the operator as a decider
      // (`decided_by: "operator"`); it is compared with the catalogue below and must never mention the operator API.
      // Error codes are the whole catalogue (public: docs/errors.md), some named after the operator's role
      // (PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR): codes are left out of this check, prose is not.
      const { webhooks, ...rest } = result.body;
      assert.doesNotMatch(JSON.stringify(rest).replace(/\b[A-Z][A-Z0-9]*(_[A-Z0-9]+)+\b/g, ''), /admin|operator/i, url);
      assert.doesNotMatch(JSON.stringify(webhooks), /admin|operator (api|token)/i, url);
    }
    const yaml = (await ctx.call('GET', '/docs/openapi.yaml')).raw;
    assert.match(yaml, /^webhooks:$/m);
    assert.doesNotMatch(yaml.replace(/^webhooks:\n(?:(?: .*)?\n)*/m, '').replace(/\b[A-Z][A-Z0-9]*(_[A-Z0-9]+)+\b/g, ''), /admin|operator/i);
  });

  it('the operator document: GET /admin/v1/openapi.json, behind the operator token, with every /admin/v1 route', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
      const refused = await ctx.call('GET', '/admin/v1/openapi.json', { headers });
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error.code, 'OPERATOR_TOKEN_INVALID');
    }
    const result = await ctx.admin('GET', '/admin/v1/openapi.json');
    assert.equal(result.status, 200);
    assert.equal(result.body.openapi, '3.1.0');
    const expected = ctx.app.declaredRoutes
      .filter((r) => r.url.startsWith('/admin/v1/') && r.url !== '/admin/v1/openapi.json')
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    const listed = Object.entries(result.body.paths as Record<string, object>).flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`));
    assert.deepEqual(listed.sort(), [...expected].sort());
    assert.deepEqual(result.body.paths['/admin/v1/platforms'].get.security, [{ operatorToken: [] }]);
    assert.deepEqual(Object.keys(result.body.components.securitySchemes), ['operatorToken']);
  });

  it('the webhooks section: one POST per catalogue type, its body the delivery envelope around the catalogue schema', async () => {
    const doc = (await ctx.call('GET', '/api/v1/openapi.json')).body;
    assert.deepEqual(Object.keys(doc.webhooks).sort(), [...eventTypes].sort());
    // The headers are whatever the signer sends, so a header added there and not here fails.
    const signed = Object.keys(signDelivery({ id: 'wd_x', timestampSeconds: 1, body: '{}', secrets: [generateWebhookSecret()] }));
    // OpenAPI 3.1 schemas are JSON Schema 2020-12: strict mode refuses an unknown keyword, a bad format or a typo.
    const ajv = addFormats(new Ajv2020({ strict: true }));
    for (const type of eventTypes) {
      const pathItem = doc.webhooks[type];
      assert.deepEqual(Object.keys(pathItem), ['post'], type);
      const operation = pathItem.post;
      assert.ok(operation.description.startsWith(eventCatalogue[type].description), type);
      assert.deepEqual(
        operation.parameters.map((p: { name: string; in: string; required: boolean; schema: object }) => [p.name, p.in, p.required, p.schema]),
        signed.map((name) => [name, 'header', true, { type: 'string' }]),
        type,
      );
      assert.equal(operation.responses['2XX'].description, 'Any 2xx within 10 s acknowledges the delivery');
      assert.equal(operation.requestBody.required, true);
      const body = operation.requestBody.content['application/json'].schema;
      assert.deepEqual(body.required, ['event_id', 'object', 'type', 'created_at', 'environment', 'account_id', 'data'], type);
      assert.deepEqual(body.properties.object, { type: 'string', const: 'event' });
      assert.deepEqual(body.properties.type, { type: 'string', const: type });
      assert.deepEqual(body.properties.data, JSON.parse(JSON.stringify(eventCatalogue[type].data)), type);
      assert.ok(ajv.validateSchema(body), `${type}: ${ajv.errorsText()}`);
      ajv.compile(body);
    }

    const testEvent = (type: EventType) => ({
      event_id: 'evt_1', object: 'event', type, created_at: '2026-01-02T03:04:05.000Z', environment: 'sandbox', account_id: 'acct_1', data: { endpoint_id: 'we_1', message: 'hello' },
    });
    const validate = ajv.compile(doc.webhooks['webhook.test'].post.requestBody.content['application/json'].schema);
    assert.ok(validate(testEvent('webhook.test')), ajv.errorsText(validate.errors));
    assert.ok(!validate(testEvent('transfer.completed')));
    assert.ok(!validate({ ...testEvent('webhook.test'), data: { endpoint_id: 'we_1' } }));
  });

  it('GET /docs serves the readable reference', async () => {
    const result = await ctx.call('GET', '/docs/');
    assert.equal(result.status, 200);
    assert.match(result.raw, /<html/i);
  });
});
