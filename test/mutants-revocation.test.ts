// Revoking a key on the process that deleted it does not wait for NOTIFY (issue 9, part 5). Checked to fail with the
// mutant "deleteApiKey no longer applies the revocation locally" and to pass without it, on PGlite and PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../src/lib/api-key.ts';
import { createTestPlatform, startTestApp, type TestContext } from './support/context.ts';

let ctx: TestContext;

before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

describe('key deletion on the deleting process (mutant: the invalidation’s afterCommit step removed)', () => {
  it('right after DELETE returns, the key is out of this process’s cache and its very next request is 401 API_KEY_REVOKED', async () => {
    const platform = await createTestPlatform(ctx);
    const key = platform.keys.sandbox;
    assert.equal((await ctx.call('GET', '/api/v1/account', { key })).status, 200);
    assert.equal(ctx.services.keyCache.cached(hashApiKey(key))?.isRevoked, false, 'the key is cached as active');

    // The NOTIFY that tells every process (this one included) comes back asynchronously: on PostgreSQL it may arrive
    // after the next request, on PGlite it happens to arrive before COMMIT returns. Withhold it for this delete, so the
    // outcome cannot depend on that race: only the revocation applied locally after commit can evict the key.
    const db = ctx.services.db;
    const begin = db.beginTransaction;
    db.beginTransaction = async () => {
      const open = await begin();
      return { ...open, tx: { ...open.tx, notify: async () => undefined } };
    };
    let deleted;
    try {
      deleted = await ctx.admin('DELETE', `/admin/v1/keys/${platform.keyIds.sandbox}`);
    } finally {
      db.beginTransaction = begin;
    }
    assert.equal(deleted.status, 200, deleted.raw);
    assert.equal(ctx.services.keyCache.cached(hashApiKey(key)), undefined, 'the deleted key is still cached as active');

    const next = await ctx.call('GET', '/api/v1/account', { key });
    assert.equal(next.status, 401, next.raw);
    assert.equal(next.body.error.code, 'API_KEY_REVOKED');
  });
});
