// Spec §2: every failure in the error shape — validation, unknown routes, bad JSON, sizes, methods, our own faults.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';

let ctx: TestContext;
let platform: TestPlatform;

before(async () => {
  ctx = await startTestApp({ bodyLimitBytes: 4096 });
  platform = await createTestPlatform(ctx);
});
after(() => ctx.close());

function assertError(result: { status: number; body: any; headers: Record<string, unknown> }, status: number, code: string): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(result.status, status, JSON.stringify(result.body));
  assert.equal(result.body.error.code, code);
  assert.equal(typeof result.body.error.message, 'string');
  assert.equal(result.body.error.request_id, result.headers['x-request-id']);
  // Every error links its entry in the error reference (docs/errors.md, served at /docs/errors).
  assert.equal(result.body.error.doc_url, `/docs/errors#${code.toLowerCase()}`);
}

describe('error shape', () => {
  it('404 ROUTE_NOT_FOUND for an unknown route; under /api/v1 only with a key (401 first, see protected-prefixes.test.ts)', async () => {
    assertError(await ctx.call('GET', '/api/v1/nothing-here'), 401, 'API_KEY_MISSING');
    assertError(await ctx.call('GET', '/api/v1/nothing-here', { key: platform.keys.sandbox }), 404, 'ROUTE_NOT_FOUND');
    assertError(await ctx.call('GET', '/nothing'), 404, 'ROUTE_NOT_FOUND');
    assertError(await ctx.call('GET', '/nothing', { key: platform.keys.sandbox }), 404, 'ROUTE_NOT_FOUND');
  });

  it('405 METHOD_NOT_ALLOWED with Allow for a known path and the wrong method', async () => {
    const result = await ctx.call('DELETE', '/api/v1/account', { key: platform.keys.sandbox });
    assertError(result, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(result.headers.allow, 'GET');
  });

  it('400 INVALID_JSON for a body that is not JSON', async () => {
    const result = await ctx.call('POST', '/api/v1/accounts', {
      key: platform.keys.sandbox,
      body: '{"customer_type": ',
      headers: { 'content-type': 'application/json' },
    });
    assertError(result, 400, 'INVALID_JSON');
  });

  it('a "__proto__" key is dropped, never applied: the body is validated without it and the 400 names the missing field', async () => {
    const result = await ctx.call('POST', '/api/v1/accounts', {
      key: platform.keys.sandbox,
      body: '{"customer_type":"individual","country":"AU","__proto__":{"email":"a@b.co"}}',
      headers: { 'content-type': 'application/json' },
    });
    assertError(result, 400, 'INVALID_REQUEST');
    assert.equal(result.body.error.detail.field, 'email');
    assert.equal(({} as Record<string, unknown>).email, undefined);
  });

  it('415 UNSUPPORTED_MEDIA_TYPE for a body that is not JSON by content type', async () => {
    const result = await ctx.call('POST', '/api/v1/accounts', { key: platform.keys.sandbox, body: 'a=b', headers: { 'content-type': 'text/plain' } });
    assertError(result, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('413 BODY_TOO_LARGE for an oversized body', async () => {
    const result = await ctx.call('POST', '/api/v1/accounts', {
      key: platform.keys.sandbox,
      body: { customer_type: 'individual', email: 'a@b.co', country: 'AU', display_name: 'x'.repeat(10_000) },
    });
    assertError(result, 413, 'BODY_TOO_LARGE');
  });

  it('400 INVALID_REQUEST naming the field: missing, wrong type, unknown, bad value', async () => {
    const cases: [unknown, string][] = [
      [{ email: 'a@b.co', country: 'AU' }, 'customer_type'],
      [{ customer_type: 'robot', email: 'a@b.co', country: 'AU' }, 'customer_type'],
      [{ customer_type: 'individual', email: 42, country: 'AU' }, 'email'],
      [{ customer_type: 'individual', email: 'a@b.co', country: 'AU', colour: 'red' }, 'colour'],
      [{ customer_type: 'individual', email: 'not-an-email', country: 'AU' }, 'email'],
      [{ customer_type: 'individual', email: 'a@b.co', country: 'XX' }, 'country'],
      [{ customer_type: 'individual', email: 'a@b.co', country: 'au' }, 'country'],
      [{ customer_type: 'individual', email: 'a@b.co', country: 'AU', reference_id: 'has space' }, 'reference_id'],
      [[1, 2], 'body'],
    ];
    for (const [body, field] of cases) {
      const result = await ctx.call('POST', '/api/v1/accounts', { key: platform.keys.sandbox, body });
      assertError(result, 400, 'INVALID_REQUEST');
      assert.equal(result.body.error.detail.field, field, JSON.stringify(body));
    }
  });

  it('400 INVALID_REQUEST for bad paging parameters and 400 INVALID_CURSOR for a forged cursor', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=ten', 'unknown=1']) {
      assertError(await ctx.call('GET', `/api/v1/accounts?${query}`, { key: platform.keys.sandbox }), 400, 'INVALID_REQUEST');
    }
    assertError(await ctx.call('GET', '/api/v1/accounts?cursor=bm9wZQ', { key: platform.keys.sandbox }), 400, 'INVALID_CURSOR');
  });

  it('500 INTERNAL_ERROR says nothing about the internals, and the fault is logged with the request id', async () => {
    const directory = ctx.services.directory;
    const original = directory.get.bind(directory);
    directory.get = async () => {
      throw new Error('relation "secret_internal_table" does not exist at /srv/pik/src/x.ts:42');
    };
    try {
      const result = await ctx.call('GET', '/api/v1/account', { key: platform.keys.sandbox });
      assertError(result, 500, 'INTERNAL_ERROR');
      assert.ok(!result.raw.includes('secret_internal_table'));
      assert.ok(!result.raw.includes('/srv/pik'));
      assert.ok(ctx.logLines.some((line) => line.includes(result.body.error.request_id) && line.includes('secret_internal_table')));
    } finally {
      directory.get = original;
    }
  });
});

describe('connected accounts', () => {
  it('201 with connected_account_id; 409 REFERENCE_ID_CONFLICT for a reused reference_id in one environment only', async () => {
    const body = { customer_type: 'business', email: 'Ops@Example.test', country: 'SG', reference_id: 'cust-42', display_name: 'Acme Pte' };
    const first = await ctx.call('POST', '/api/v1/accounts', { key: platform.keys.sandbox, body });
    assert.equal(first.status, 201);
    assert.equal(first.body.connected_account_id, first.body.id);
    assert.equal(first.body.email, 'ops@example.test');
    assert.equal(first.body.verification_status, 'unverified');
    assertError(await ctx.call('POST', '/api/v1/accounts', { key: platform.keys.sandbox, body }), 409, 'REFERENCE_ID_CONFLICT');
    assert.equal((await ctx.call('POST', '/api/v1/accounts', { key: platform.keys.production, body })).status, 201);
    const other = await createTestPlatform(ctx);
    assert.equal((await ctx.call('POST', '/api/v1/accounts', { key: other.keys.sandbox, body })).status, 201);
  });

  it('lists newest first with cursor paging and filters', async () => {
    const p = await createTestPlatform(ctx);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await ctx.call('POST', '/api/v1/accounts', {
        key: p.keys.sandbox,
        body: { customer_type: 'individual', email: `u${i}@example.test`, country: 'AU', reference_id: `r-${i}` },
      });
      ids.push(r.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: { id: string }[]; next_cursor: string | null } } = await ctx.call(
        'GET',
        `/api/v1/accounts?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        { key: p.keys.sandbox },
      );
      seen.push(...page.body.data.map((a) => a.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, [...ids].reverse());
    const byEmail = await ctx.call('GET', '/api/v1/accounts?email=U3@example.test', { key: p.keys.sandbox });
    assert.deepEqual(byEmail.body.data.map((a: { id: string }) => a.id), [ids[3]]);
    const byRef = await ctx.call('GET', '/api/v1/accounts?reference_id=r-1', { key: p.keys.sandbox });
    assert.deepEqual(byRef.body.data.map((a: { id: string }) => a.id), [ids[1]]);
  });
});

describe('operator API', () => {
  it('401 OPERATOR_TOKEN_INVALID without the token or with an API key', async () => {
    assertError(await ctx.call('GET', '/admin/v1/platforms'), 401, 'OPERATOR_TOKEN_INVALID');
    assertError(await ctx.call('GET', '/admin/v1/platforms', { key: platform.keys.sandbox }), 401, 'OPERATOR_TOKEN_INVALID');
  });

  it('validates platform creation and refuses a second live user with the same email', async () => {
    assertError(await ctx.admin('POST', '/admin/v1/platforms', { name: 'X', owner_email: 'nope' }), 400, 'INVALID_REQUEST');
    assertError(await ctx.admin('POST', '/admin/v1/platforms', { name: 'X', owner_email: 'x@example.test', owner_password: 'short' }), 400, 'INVALID_REQUEST');
    assert.equal((await ctx.admin('POST', '/admin/v1/platforms', { name: 'X', owner_email: 'dup@example.test' })).status, 201);
    assertError(await ctx.admin('POST', '/admin/v1/platforms', { name: 'Y', owner_email: 'DUP@example.test' }), 409, 'EMAIL_TAKEN');
  });

  it('without a password, returns a one-time set-password link', async () => {
    const created = await ctx.admin('POST', '/admin/v1/platforms', { name: 'Linky', owner_email: 'linky@example.test' });
    assert.match(created.body.set_password_url, /\/dashboard\/set-password\?token=[0-9A-Za-z]{32}$/);
  });

  it('404 PLATFORM_NOT_FOUND when generating a key for an unknown platform; 400 for an unknown environment', async () => {
    assertError(await ctx.admin('POST', '/admin/v1/platforms/acct_01m8g4v2amhzvvtznqxqww9kqs/keys', { environment: 'sandbox' }), 404, 'PLATFORM_NOT_FOUND');
    assertError(await ctx.admin('POST', `/admin/v1/platforms/${platform.id}/keys`, { environment: 'staging' }), 400, 'INVALID_REQUEST');
  });
});
