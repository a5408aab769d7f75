// Property: for random permission maps and every /api/v1 route, a restricted key is refused with
// KEY_PERMISSION_DENIED exactly when its map does not grant the route's declared permission; when it does, it gets
// exactly the answer a full key gets (it never exceeds what its platform may do). Plus the catalogue's pure rules.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { grantsAccess, isPermitted, keyResources, parseKeyPermissions, type KeyPermission, type KeyPermissionMap } from '../src/lib/key-permissions.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';

const permissionMap = fc
  .dictionary(fc.constantFrom(...keyResources), fc.constantFrom('read' as const, 'write' as const), { minKeys: 1, maxKeys: keyResources.length })
  .map((m) => m as KeyPermissionMap);

describe('the permission rules (pure)', () => {
  it('write implies read; a missing resource grants nothing; full grants everything', () => {
    fc.assert(
      fc.property(permissionMap, fc.constantFrom(...keyResources), fc.constantFrom('read' as const, 'write' as const), (map, resource, access) => {
        const level = map[resource];
        const expected = level === 'write' || (level === 'read' && access === 'read');
        assert.equal(grantsAccess(map, resource, access), expected);
        assert.equal(isPermitted(map, `${resource}:${access}` as KeyPermission), expected);
        assert.equal(isPermitted('full', `${resource}:${access}` as KeyPermission), true);
        assert.deepEqual(parseKeyPermissions(map), Object.fromEntries(keyResources.filter((r) => map[r]).map((r) => [r, map[r]])));
      }),
    );
  });
});

describe('random permission maps × every route', () => {
  let ctx: TestContext;
  let platform: TestPlatform;
  let account: string;
  const routes: { method: string; url: string; path: string; permission: KeyPermission }[] = [];
  const fullAnswers = new Map<string, string>();

  const answer = async (route: (typeof routes)[number], key: string): Promise<string> => {
    const result = await ctx.call(route.method, route.path, { key, ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { body: {} }) });
    return `${result.status} ${result.body?.error?.code ?? ''}`;
  };

  before(async () => {
    ctx = await startTestApp();
    platform = await createTestPlatform(ctx);
    account = await createTestConnectedAccount(ctx, platform, 'sandbox');
    const fake: Record<string, string> = { payouts: 'po_01m8g5hycd5qba505sf93e83c5', webhooks: 'we_01m8g5hycd5qba505sf93e83c5', events: 'evt_01m8g5hycd5qba505sf93e83c5' };
    for (const route of ctx.app.declaredRoutes) {
      if (!route.url.startsWith('/api/v1/') || route.url === '/api/v1/openapi.json') continue;
      const permission = route.config.permission;
      assert.ok(permission, `${route.method} ${route.url} declares its permission`);
      const collection = route.url.split('/')[3] ?? '';
      const path = route.url.replace(':name', 'payouts').replace(':id', route.url.startsWith('/api/v1/accounts/') || route.url.includes('/sandbox/accounts/') ? account : (fake[collection] ?? account));
      routes.push({ method: route.method, url: route.url, path, permission });
    }
    assert.ok(routes.length >= 30, 'every /api/v1 route is exercised');
    // What a full key is answered: the platform's own rules (404s, 400s, capability and verification 403s).
    for (const route of routes) fullAnswers.set(`${route.method} ${route.url}`, await answer(route, platform.keys.sandbox));
  });
  after(() => ctx.close());

  it('allowed exactly when the map grants the route’s permission, and then answered as a full key is', async () => {
    await fc.assert(
      fc.asyncProperty(permissionMap, async (map) => {
        const made = await ctx.admin('POST', `/admin/v1/platforms/${platform.id}/keys`, { environment: 'sandbox', permissions: map });
        assert.equal(made.status, 201, made.raw);
        for (const route of routes) {
          const got = await answer(route, made.body.secret);
          const name = `${route.method} ${route.url} with ${JSON.stringify(map)}`;
          if (isPermitted(map, route.permission)) assert.equal(got, fullAnswers.get(`${route.method} ${route.url}`), name);
          else assert.equal(got, '403 KEY_PERMISSION_DENIED', name);
        }
      }),
      { numRuns: 25 },
    );
  });
});
