// Issue 15 (8): a protected prefix checks credentials before anything else, for every URL under it — routed or not,
// any method — so nobody without them learns which routes exist (404 vs 405 vs Allow).
// pik-test: engine-independent — credentials are checked before routing, for every URL and method
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { createDashboardPlatform, dashboardClient, testPassword } from './support/dashboard.ts';

let ctx: TestContext;
let platform: TestPlatform;

before(async () => {
  ctx = await startTestApp();
  platform = await createTestPlatform(ctx);
});
after(() => ctx.close());

const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'] as const;

/** Each prefix with URLs that no route takes for some or all methods: unknown paths, the bare prefix, a known path. */
const prefixes = () => [
  {
    prefix: '/api/v1',
    urls: ['/api/v1/nothing-here', '/api/v1/accounts/x/y/z', '/api/v1', '/api/v1/', '/api/v1/account', '/api/v1/accounts'],
    missing: 'API_KEY_MISSING',
    wrong: { authorization: 'Bearer pik_test_not-a-key', code: 'INVALID_API_KEY' },
    right: `Bearer ${platform.keys.sandbox}`,
  },
  {
    prefix: '/admin/v1',
    urls: ['/admin/v1/nothing-here', '/admin/v1/platforms/x/y/z', '/admin/v1', '/admin/v1/', '/admin/v1/platforms', '/admin/v1/openapi.json'],
    missing: 'OPERATOR_TOKEN_INVALID',
    wrong: { authorization: `Bearer ${platform.keys.sandbox}`, code: 'OPERATOR_TOKEN_INVALID' },
    right: `Bearer ${ctx.operatorToken}`,
  },
];

async function send(method: string, url: string, headers: Record<string, string> = {}) {
  const response = await ctx.app.inject({ method: method as 'GET', url, headers });
  return { status: response.statusCode, headers: response.headers, body: response.body, location: response.headers.location };
}

describe('protected prefixes: credentials first, for every URL and method', () => {
  it('/api/v1 and /admin/v1: 401 without credentials or with wrong ones, whatever the path and method; 404/405 only with them', async () => {
    for (const { urls, missing, wrong, right } of prefixes()) {
      for (const url of urls) {
        for (const method of methods) {
          const anonymous = await send(method, url);
          assert.equal(anonymous.status, 401, `${method} ${url} without credentials: ${anonymous.body}`);
          assert.equal(anonymous.headers['www-authenticate'], 'Bearer realm="pik"');
          assert.equal(anonymous.headers.allow, undefined, `${method} ${url} must not list methods`);
          if (method !== 'HEAD') assert.equal(JSON.parse(anonymous.body).error.code, missing, `${method} ${url}`);

          const impostor = await send(method, url, { authorization: wrong.authorization });
          assert.equal(impostor.status, 401, `${method} ${url} with wrong credentials`);
          if (method !== 'HEAD') assert.equal(JSON.parse(impostor.body).error.code, wrong.code);

          const known = await send(method, url, { authorization: right });
          assert.notEqual(known.status, 401, `${method} ${url} with credentials: ${known.body}`);
        }
      }
    }
  });

  it('with credentials, an unknown path is 404 ROUTE_NOT_FOUND and a known one with another method 405 with Allow', async () => {
    for (const { prefix, right } of prefixes()) {
      const unknown = await send('GET', `${prefix}/nothing-here`, { authorization: right });
      assert.equal(unknown.status, 404);
      assert.equal(JSON.parse(unknown.body).error.code, 'ROUTE_NOT_FOUND');
    }
    const options = await send('OPTIONS', '/api/v1/account', { authorization: `Bearer ${platform.keys.sandbox}` });
    assert.equal(options.status, 405);
    assert.equal(options.headers.allow, 'GET');
    const operator = await send('DELETE', '/admin/v1/platforms', { authorization: `Bearer ${ctx.operatorToken}` });
    assert.equal(operator.status, 405);
    assert.equal(operator.headers.allow, 'GET, POST');
  });

  it('the dashboard: an unknown page, or a known one with another method, sends a signed-out visitor to sign in', async () => {
    for (const url of ['/dashboard/nothing-here', '/dashboard/settings/nothing', '/dashboard/settings/api-keys/sandbox']) {
      for (const method of methods) {
        const result = await send(method, url);
        if (method === 'GET') {
          assert.equal(result.status, 303, `${method} ${url}`);
          assert.match(String(result.location), /^\/dashboard\/sign-in/);
        } else {
          assert.equal(result.status, 401, `${method} ${url}: ${result.status}`);
          assert.doesNotMatch(result.body, /no such page/i);
        }
      }
    }
    const owner = await createDashboardPlatform(ctx);
    const client = dashboardClient(ctx);
    assert.equal((await client.signIn(owner.email, testPassword)).status, 303);
    assert.equal((await client.get('/dashboard/nothing-here')).status, 404);
  });

  it('unknown paths outside the protected prefixes are still a plain 404', async () => {
    const result = await send('GET', '/nothing-here');
    assert.equal(result.status, 404);
    assert.equal(JSON.parse(result.body).error.code, 'ROUTE_NOT_FOUND');
  });
});
