// PIK_ENVIRONMENTS: a deployment that serves one environment refuses the other's keys; operators manage both anywhere.
// pik-test: engine-independent — which environments a deployment serves is configuration, checked against the key before any query
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestPlatform, startTestApp, type TestContext } from './support/context.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp({ environments: ['production'] });
});
after(() => ctx.close());

describe('single-environment deployment', () => {
  it('401 API_KEY_ENVIRONMENT_MISMATCH for a sandbox key on a production-only deployment', async () => {
    const platform = await createTestPlatform(ctx); // keys of both environments, made through this deployment's operator API
    const result = await ctx.call('GET', '/api/v1/account', { key: platform.keys.sandbox });
    assert.equal(result.status, 401);
    assert.equal(result.body.error.code, 'API_KEY_ENVIRONMENT_MISMATCH');
    assert.equal(result.headers['www-authenticate'], 'Bearer realm="pik"');
    const production = await ctx.call('GET', '/api/v1/account', { key: platform.keys.production });
    assert.equal(production.status, 200);
    assert.equal(production.body.environment, 'production');
  });

  it('a deleted key of the other environment is still reported as revoked, not as a mismatch', async () => {
    const platform = await createTestPlatform(ctx);
    await ctx.admin('DELETE', `/admin/v1/keys/${platform.keyIds.sandbox}`);
    const result = await ctx.call('GET', '/api/v1/account', { key: platform.keys.sandbox });
    assert.equal(result.body.error.code, 'API_KEY_REVOKED');
  });
});
