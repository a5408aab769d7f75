// The OpenAPI documents are generated from the route schemas: the public one and the reference page are served without
// a key and hold only /api/v1; the operator API's is served behind the operator token.
// pik-test: engine-independent — the OpenAPI documents are generated from the route schemas
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { capabilities, capabilityCatalogue } from '../src/lib/capabilities.ts';
import { currencies } from '../src/lib/currencies.ts';
import { createTestPlatform, startTestApp, type TestContext } from './support/context.ts';

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
    for (const url of ['/api/v1/openapi.json', '/docs/json']) {
      const result = await ctx.call('GET', url);
      assert.equal(result.status, 200, url);
      const listed = Object.entries(result.body.paths as Record<string, object>).flatMap(([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`));
      assert.deepEqual(listed.sort(), [...expected].sort(), url);
      assert.deepEqual(Object.keys(result.body.components.securitySchemes), ['apiKey'], url);
      assert.doesNotMatch(result.raw, /admin|operator/i, url);
    }
    assert.doesNotMatch((await ctx.call('GET', '/docs/yaml')).raw, /admin|operator/i);
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

  it('GET /docs serves the readable reference', async () => {
    const result = await ctx.call('GET', '/docs/');
    assert.equal(result.status, 200);
    assert.match(result.raw, /<html/i);
  });
});
