// The shared route-security suite: every /api/v1 route calls this to prove the authentication and scoping rules hold for it.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { maxJsonDepth } from '../../src/http/json-body.ts';
import { createTestConnectedAccount, createTestKey, createTestPlatform, type CallResult, type TestContext, type TestPlatform } from './context.ts';
import type { Capability } from '../../src/lib/capabilities.ts';
import type { KeyPermission } from '../../src/lib/key-permissions.ts';
import { approveTestAccount } from './onboarding.ts';

export interface SecurityFixture {
  ctx: TestContext;
  platform: TestPlatform;
  other: TestPlatform;
  /** A sandbox connected account of `platform`. */
  account: string;
  /** A production connected account of `platform`. */
  productionAccount: string;
  /** A sandbox connected account of `other`. */
  foreignAccount: string;
  revokedKey: string;
  /** A key of `platform` restricted to events:read only: refused by every route but the events reads. */
  restrictedKey: string;
  /** A key of `platform` restricted to fx: refused by the events reads (restrictedFor picks the one that refuses). */
  restrictedToFxKey: string;
  /** The same restriction, deleted: its 401 comes before any 403. */
  revokedRestrictedKey: string;
}

export async function createSecurityFixture(ctx: TestContext): Promise<SecurityFixture> {
  const platform = await createTestPlatform(ctx);
  const other = await createTestPlatform(ctx);
  const revoked = await createTestKey(ctx, platform.id, 'sandbox');
  const deleted = await ctx.admin('DELETE', `/admin/v1/keys/${revoked.id}`);
  assert.equal(deleted.status, 200);
  const restricted = await ctx.admin('POST', `/admin/v1/platforms/${platform.id}/keys`, { environment: 'sandbox', permissions: { events: 'read' } });
  const restrictedToFx = await ctx.admin('POST', `/admin/v1/platforms/${platform.id}/keys`, { environment: 'sandbox', permissions: { fx: 'write' } });
  assert.equal(restrictedToFx.status, 201);
  const revokedRestricted = await ctx.admin('POST', `/admin/v1/platforms/${platform.id}/keys`, { environment: 'sandbox', permissions: { fx: 'write' } });
  assert.equal(restricted.status, 201);
  assert.equal((await ctx.admin('DELETE', `/admin/v1/keys/${revokedRestricted.body.id}`)).status, 200);
  return {
    ctx,
    platform,
    other,
    account: await createTestConnectedAccount(ctx, platform, 'sandbox'),
    productionAccount: await createTestConnectedAccount(ctx, platform, 'production'),
    foreignAccount: await createTestConnectedAccount(ctx, other, 'sandbox'),
    revokedKey: revoked.secret,
    restrictedKey: restricted.body.secret,
    restrictedToFxKey: restrictedToFx.body.secret,
    revokedRestrictedKey: revokedRestricted.body.secret,
  };
}

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Builds the URL; `accountId` is the account the call targets (used by /accounts/{id}/… routes). */
  path: (accountId: string) => string;
  /** The request body; capability checks pass the account the call targets (for routes that name it in the body). */
  body?: (accountId?: string) => unknown;
  /** 'platform': the route refuses x-on-behalf-of for a connected account. */
  scope: 'platform' | 'any';
  /** What a restricted key needs (the route's config.permission). */
  permission: KeyPermission;
  /** The route names an account in its path. */
  hasAccountInPath?: boolean;
  /** The route exists only in sandbox: a production key gets 403 SANDBOX_ONLY (before any account lookup). */
  sandboxOnly?: boolean;
  /**
   * The route uses this capability (through requireCapability): the suite checks ACCOUNT_NOT_VERIFIED for an
   * unverified account, then CAPABILITY_NOT_ACTIVATED once approved, for the platform key with and without x-on-behalf-of.
   */
  capability?: Capability;
  /** The route uses a capability of the account it acts on: an unverified connected account is refused by the gate. */
  needsCapability?: boolean;
}

function expectError(result: { status: number; body: any }, status: number, code: string): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(result.status, status, `expected ${status} ${code}, got ${result.status} ${JSON.stringify(result.body)}`);
  assert.equal(result.body?.error?.code, code);
  assert.match(result.body.error.request_id, /^req_/);
}

/** `{"nested": [[…]], …the route's own fields}` with the arrays and objects opened `levels` deep in all. */
function nestedBody(levels: number, body: unknown): string {
  const fields = body !== null && typeof body === 'object' && !Array.isArray(body) ? JSON.stringify(body).slice(1, -1) : '';
  return `{"nested":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}${fields ? `,${fields}` : ''}}`;
}

/**
 * Bodies no route can take are refused by the one JSON parser, in our shape, before any code walks them: nested deeper
 * than the limit (400 INVALID_JSON naming it, also with an Idempotency-Key, whose hashing walks the body), or larger
 * than the body limit (413). A body exactly at the limit is not refused for its depth.
 */
export async function assertBodyBounds(send: (body: string, headers: Record<string, string>) => Promise<CallResult>, bodyLimitBytes: number, body?: unknown): Promise<void> {
  const json = { 'content-type': 'application/json' };
  for (const headers of [json, { ...json, 'idempotency-key': `deep-${Math.random()}` }]) {
    for (const levels of [maxJsonDepth + 1, 5000]) {
      const result = await send(nestedBody(levels, body), headers);
      expectError(result, 400, 'INVALID_JSON');
      assert.deepEqual(result.body.error.detail, { max_depth: maxJsonDepth });
      assert.match(result.body.error.message, new RegExp(`${maxJsonDepth} levels`));
      assert.equal(result.headers['x-request-id'], result.body.error.request_id);
    }
  }
  const atLimit = await send(nestedBody(maxJsonDepth, body), json);
  assert.ok(atLimit.status < 500 && atLimit.body?.error?.code !== 'INVALID_JSON', `a body ${maxJsonDepth} deep: ${atLimit.status} ${atLimit.raw}`);
  const large = await send(JSON.stringify({ padding: 'x'.repeat(bodyLimitBytes) }), json);
  expectError(large, 413, 'BODY_TOO_LARGE');
  assert.equal(large.headers['x-request-id'], large.body.error.request_id);
}

export function describeRouteSecurity(name: string, fixture: () => SecurityFixture, route: RouteSpec): void {
  describe(`route security: ${name}`, () => {
    let f: SecurityFixture;
    before(() => {
      f = fixture();
    });
    const send = (options: { key?: string; onBehalfOf?: string | string[]; accountId?: string; headers?: Record<string, string> }) =>
      f.ctx.call(route.method, route.path(options.accountId ?? f.account), {
        key: options.key,
        onBehalfOf: options.onBehalfOf,
        headers: options.headers,
        body: route.body?.(),
      });

    it('401 API_KEY_MISSING without a key, with WWW-Authenticate', async () => {
      const result = await send({});
      expectError(result, 401, 'API_KEY_MISSING');
      assert.equal(result.headers['www-authenticate'], 'Bearer realm="pik"');
    });

    it('401 AUTHORIZATION_MALFORMED for a header that is not "Bearer <key>"', async () => {
      for (const value of [`Basic ${f.platform.keys.sandbox}`, 'Bearer', `Bearer ${f.platform.keys.sandbox} extra`, f.platform.keys.sandbox]) {
        expectError(await send({ headers: { authorization: value } }), 401, 'AUTHORIZATION_MALFORMED');
      }
    });

    it('400 AUTHORIZATION_MALFORMED for two Authorization headers, even both the valid key', async () => {
      const valid = `Bearer ${f.platform.keys.sandbox}`;
      const result = await send({ headers: { authorization: [valid, valid] as unknown as string } });
      expectError(result, 400, 'AUTHORIZATION_MALFORMED');
      assert.deepEqual(result.body.error.detail, { header: 'authorization' });
    });

    it('401 INVALID_API_KEY for a key with a bad checksum or unknown to PIK', async () => {
      const key = f.platform.keys.sandbox;
      const flipped = key.slice(0, 20) + (key[20] === 'a' ? 'b' : 'a') + key.slice(21);
      expectError(await send({ key: flipped }), 401, 'INVALID_API_KEY');
      expectError(await send({ key: 'sk_test_123' }), 401, 'INVALID_API_KEY');
    });

    it('401 API_KEY_REVOKED for a deleted key', async () => {
      expectError(await send({ key: f.revokedKey }), 401, 'API_KEY_REVOKED');
    });

    it(`403 KEY_PERMISSION_DENIED for a restricted key without ${route.permission}: after every 401, before any lookup or capability check`, async () => {
      expectError(await send({ key: f.revokedRestrictedKey }), 401, 'API_KEY_REVOKED');
      for (const options of [{}, { accountId: f.foreignAccount }, { onBehalfOf: f.account }, { onBehalfOf: f.foreignAccount, accountId: f.foreignAccount }]) {
        // Every resource has routes now: the key used is one restricted to another resource than the route's.
        const result = await send({ key: route.permission.startsWith('events:') ? f.restrictedToFxKey : f.restrictedKey, ...options });
        expectError(result, 403, 'KEY_PERMISSION_DENIED');
        assert.deepEqual(result.body.error.detail, { required: route.permission });
      }
    });

    it('400 INVALID_ON_BEHALF_OF for an empty, repeated or malformed header', async () => {
      const key = f.platform.keys.sandbox;
      expectError(await send({ key, onBehalfOf: '' }), 400, 'INVALID_ON_BEHALF_OF');
      expectError(await send({ key, onBehalfOf: 'not-an-account' }), 400, 'INVALID_ON_BEHALF_OF');
      expectError(await send({ key, onBehalfOf: [f.account, f.account] }), 400, 'INVALID_ON_BEHALF_OF');
    });

    if (route.scope === 'platform') {
      it('403 PLATFORM_SCOPE_REQUIRED with x-on-behalf-of naming a connected account, whoever owns it', async () => {
        expectError(await send({ key: f.platform.keys.sandbox, onBehalfOf: f.account }), 403, 'PLATFORM_SCOPE_REQUIRED');
        expectError(await send({ key: f.platform.keys.sandbox, onBehalfOf: f.foreignAccount }), 403, 'PLATFORM_SCOPE_REQUIRED');
      });
    } else {
      it("404 ACCOUNT_NOT_FOUND for another platform's account in x-on-behalf-of", async () => {
        expectError(
          await send({ key: f.platform.keys.sandbox, onBehalfOf: f.foreignAccount, accountId: f.foreignAccount }),
          404,
          'ACCOUNT_NOT_FOUND',
        );
      });
      it("404 ACCOUNT_NOT_FOUND for the other environment's account in x-on-behalf-of", async () => {
        expectError(
          await send({ key: f.platform.keys.sandbox, onBehalfOf: f.productionAccount, accountId: f.productionAccount }),
          404,
          'ACCOUNT_NOT_FOUND',
        );
        expectError(await send({ key: f.platform.keys.production, onBehalfOf: f.account, accountId: f.account }), 404, 'ACCOUNT_NOT_FOUND');
      });
    }

    if (route.hasAccountInPath) {
      it("404 ACCOUNT_NOT_FOUND for another platform's or the other environment's account in the path", async () => {
        expectError(await send({ key: f.platform.keys.sandbox, accountId: f.foreignAccount }), 404, 'ACCOUNT_NOT_FOUND');
        expectError(await send({ key: f.platform.keys.sandbox, accountId: f.productionAccount }), 404, 'ACCOUNT_NOT_FOUND');
        if (!route.sandboxOnly) expectError(await send({ key: f.platform.keys.production, accountId: f.account }), 404, 'ACCOUNT_NOT_FOUND');
      });
      if (route.scope === 'any') {
        it('400 ON_BEHALF_OF_MISMATCH when the path names another account than x-on-behalf-of', async () => {
          const sibling = await createTestConnectedAccount(f.ctx, f.platform, 'sandbox');
          expectError(
            await f.ctx.call(route.method, route.path(sibling), { key: f.platform.keys.sandbox, onBehalfOf: f.account, body: route.body?.() }),
            400,
            'ON_BEHALF_OF_MISMATCH',
          );
        });
      }
    }

    if (route.sandboxOnly) {
      it('403 SANDBOX_ONLY for a production key, whichever account it names', async () => {
        expectError(await send({ key: f.platform.keys.production, accountId: f.productionAccount }), 403, 'SANDBOX_ONLY');
        expectError(await send({ key: f.platform.keys.production, accountId: f.account }), 403, 'SANDBOX_ONLY');
      });
    }

    const capability = route.capability;
    if (capability) {
      it(`403 ACCOUNT_NOT_VERIFIED, then CAPABILITY_NOT_ACTIVATED once approved, without ${capability}`, async () => {
        const account = await createTestConnectedAccount(f.ctx, f.platform, 'sandbox');
        const key = f.platform.keys.sandbox;
        // With x-on-behalf-of when the route allows it; by path (or body) as the platform when it names the account there.
        const attempts = (): Promise<{ status: number; body: any }>[] => [ // eslint-disable-line @typescript-eslint/no-explicit-any
          ...(route.scope === 'any' ? [f.ctx.call(route.method, route.path(account), { key, onBehalfOf: account, body: route.body?.(account) })] : []),
          ...(route.hasAccountInPath || route.scope === 'platform' ? [f.ctx.call(route.method, route.path(account), { key, body: route.body?.(account) })] : []),
        ];
        for (const result of await Promise.all(attempts())) {
          expectError(result, 403, 'ACCOUNT_NOT_VERIFIED');
          assert.deepEqual(result.body.error.detail, { account_id: account, verification_status: 'unverified' });
        }
        await approveTestAccount(f.ctx, f.platform, account);
        for (const result of await Promise.all(attempts())) {
          expectError(result, 403, 'CAPABILITY_NOT_ACTIVATED');
          assert.deepEqual(result.body.error.detail, { account_id: account, capability });
        }
      });

      it(`403 CAPABILITY_NOT_ACTIVATED for a platform whose ${capability} the operator has not enabled (production)`, async () => {
        const result = await f.ctx.call(route.method, route.path(f.platform.id), { key: f.platform.keys.production, body: route.body?.(f.platform.id) });
        expectError(result, 403, 'CAPABILITY_NOT_ACTIVATED');
        assert.deepEqual(result.body.error.detail, { account_id: f.platform.id, capability });
      });
    }

    if (route.needsCapability) {
      it('403 ACCOUNT_NOT_VERIFIED for an unverified connected account (the capability gate)', async () => {
        // f.account is never verified: every capability use on it stops at the gate, before anything else happens.
        const unverified = await createTestConnectedAccount(f.ctx, f.platform, 'sandbox');
        const options = route.scope === 'platform' ? { key: f.platform.keys.sandbox } : { key: f.platform.keys.sandbox, onBehalfOf: unverified };
        const result = await f.ctx.call(route.method, route.path(unverified), { ...options, body: route.body?.() });
        expectError(result, 403, 'ACCOUNT_NOT_VERIFIED');
        assert.equal(result.body.error.detail.account_id, unverified);
      });
    }

    if (route.method !== 'GET') {
      it(`400 INVALID_JSON for a body nested more than ${maxJsonDepth} deep, 413 BODY_TOO_LARGE for one over the limit`, async () => {
        // As the platform, naming its own connected account: the body is refused before anything looks at the scope.
        const send = (body: string, headers: Record<string, string>) => f.ctx.call(route.method, route.path(f.account), { key: f.platform.keys.sandbox, body, headers });
        await assertBodyBounds(send, f.ctx.services.config.bodyLimitBytes, route.body?.(f.account));
      });
    }

    it('400 API_KEY_IN_URL for a key in the query string, even with a valid header', async () => {
      const url = `${route.path(f.account)}${route.path(f.account).includes('?') ? '&' : '?'}api_key=${f.platform.keys.sandbox}`;
      const result = await f.ctx.call(route.method, url, { key: f.platform.keys.sandbox, body: route.body?.() });
      expectError(result, 400, 'API_KEY_IN_URL');
    });
  });
}
