// The OpenAPI document is generated from the route schemas, and the reference page is served without a key.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestContext } from './support/context.ts';

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

  it('GET /docs serves the readable reference', async () => {
    const result = await ctx.call('GET', '/docs/');
    assert.equal(result.status, 200);
    assert.match(result.raw, /<html/i);
  });
});
