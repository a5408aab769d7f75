// One kept-alive connection carrying several keys in turn: each request is authenticated as its own key, and a key
// deleted between two requests on the same connection is refused on the next one (the per-connection memo of the
// last header's hash never stands in for the key cache). Likewise the memo of the last x-on-behalf-of scope serves
// only the key that resolved it.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext } from './support/context.ts';

let ctx: TestContext;
let base: string;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

before(async () => {
  ctx = await startTestApp();
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(ctx.app.server.address() as AddressInfo).port}`;
});
after(async () => {
  agent.destroy();
  await ctx.close();
});

function get(path: string, authorization: string, onBehalfOf?: string): Promise<{ status: number; body: { id?: string; error?: { code: string } }; reused: boolean }> {
  const headers: Record<string, string> = { authorization };
  if (onBehalfOf !== undefined) headers['x-on-behalf-of'] = onBehalfOf;
  return new Promise((resolve, reject) => {
    const request = http.get(`${base}${path}`, { agent, headers }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text), reused: request.reusedSocket }));
    });
    request.on('error', reject);
  });
}

describe('authentication on a kept-alive connection', () => {
  it('answers each request as the key it carries, and refuses a deleted key on the very next request', async () => {
    const [one, two] = [await createTestPlatform(ctx), await createTestPlatform(ctx)];
    const bearer = (key: string) => `Bearer ${key}`;

    const first = await get('/api/v1/account', bearer(one.keys.sandbox));
    assert.deepEqual([first.status, first.body.id], [200, one.id]);
    const switched = await get('/api/v1/account', bearer(two.keys.sandbox));
    assert.deepEqual([switched.status, switched.body.id, switched.reused], [200, two.id, true]);
    const back = await get('/api/v1/account', bearer(one.keys.sandbox));
    assert.deepEqual([back.status, back.body.id, back.reused], [200, one.id, true]);

    assert.equal((await ctx.admin('DELETE', `/admin/v1/keys/${one.keyIds.sandbox}`)).status, 200);
    const revoked = await get('/api/v1/account', bearer(one.keys.sandbox));
    assert.deepEqual([revoked.status, revoked.body.error?.code, revoked.reused], [401, 'API_KEY_REVOKED', true]);

    const malformed = await get('/api/v1/account', `Basic ${one.keys.sandbox}`);
    assert.deepEqual([malformed.status, malformed.body.error?.code], [401, 'AUTHORIZATION_MALFORMED']);
    const other = await get('/api/v1/account', bearer(two.keys.sandbox));
    assert.deepEqual([other.status, other.body.id, other.reused], [200, two.id, true]);
  });

  it('a connection acting for one account does not lend that account to another key or to a platform-only route', async () => {
    const [one, two] = [await createTestPlatform(ctx), await createTestPlatform(ctx)];
    const account = await createTestConnectedAccount(ctx, two);
    const bearer = (key: string) => `Bearer ${key}`;
    for (let i = 0; i < 2; i++) {
      const acting = await get('/api/v1/account', bearer(two.keys.sandbox), account);
      assert.deepEqual([acting.status, acting.body.id], [200, account]);
    }
    const foreign = await get('/api/v1/account', bearer(one.keys.sandbox), account);
    assert.deepEqual([foreign.status, foreign.body.error?.code, foreign.reused], [404, 'ACCOUNT_NOT_FOUND', true]);
    const otherEnvironment = await get('/api/v1/account', bearer(two.keys.production), account);
    assert.deepEqual([otherEnvironment.status, otherEnvironment.body.error?.code], [404, 'ACCOUNT_NOT_FOUND']);
    assert.equal((await get('/api/v1/account', bearer(two.keys.sandbox), account)).status, 200);
    const platformOnly = await get('/api/v1/accounts', bearer(two.keys.sandbox), account);
    assert.deepEqual([platformOnly.status, platformOnly.body.error?.code, platformOnly.reused], [403, 'PLATFORM_SCOPE_REQUIRED', true]);
    const malformed = await get('/api/v1/account', bearer(two.keys.sandbox), `${account},${account}`);
    assert.deepEqual([malformed.status, malformed.body.error?.code], [400, 'INVALID_ON_BEHALF_OF']);
  });
});
