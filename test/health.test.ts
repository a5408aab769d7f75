// Readiness that tells the truth (issue 17, part 2): /health/ready checks a database round trip, the LISTEN
// connection and, for the embedded database, the free disk of its data directory, and names what fails in a 503 in our
// error shape. (The database actually stopped is in test/db-outage.test.ts, on PostgreSQL.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestContext } from './support/context.ts';

describe('GET /health/ready', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startTestApp();
  });
  after(() => ctx.close());

  it('200 with every check "ok", without a key, never cached', async () => {
    const ready = await ctx.call('GET', '/health/ready');
    assert.equal(ready.status, 200, ready.raw);
    assert.equal(ready.body.status, 'ready');
    assert.equal(ready.body.checks.database, 'ok');
    assert.equal(ready.body.checks.listen, 'ok');
    if (ctx.services.db.kind === 'pglite') assert.equal(ready.body.checks.disk, 'ok');
    assert.equal(ready.headers['cache-control'], 'no-store');
    assert.equal((await ctx.call('GET', '/health')).status, 200);
  });

  it('503 SERVICE_UNAVAILABLE naming the LISTEN connection when it is down; liveness stays 200', async () => {
    const db = ctx.services.db as { isListening: () => boolean };
    const original = db.isListening;
    db.isListening = () => false;
    try {
      const ready = await ctx.call('GET', '/health/ready');
      assert.equal(ready.status, 503, ready.raw);
      assert.equal(ready.body.error.code, 'SERVICE_UNAVAILABLE');
      assert.deepEqual(ready.body.error.detail.failing, ['listen']);
      assert.match(ready.body.error.message, /^Not ready: listen \(the LISTEN connection/);
      assert.equal(ready.headers['retry-after'], '1');
      assert.match(ready.body.error.request_id, /^req_/);
      assert.equal((await ctx.call('GET', '/health')).status, 200);
    } finally {
      db.isListening = original;
    }
  });
});

describe('GET /health/ready with less free disk than PIK_MIN_FREE_DISK_MB (embedded database)', () => {
  let ctx: TestContext;
  before(async () => {
    // More than any disk has: the check must fail, and say how much is free.
    ctx = await startTestApp({ minFreeDiskBytes: Number.MAX_SAFE_INTEGER, dataDir: process.cwd() });
  });
  after(() => ctx.close());

  it('503 naming the disk and the free space (PGlite); PostgreSQL has no disk check of ours', async () => {
    const ready = await ctx.call('GET', '/health/ready');
    if (ctx.services.db.kind !== 'pglite') {
      assert.equal(ready.status, 200, ready.raw);
      assert.equal(ready.body.checks.disk, undefined);
      return;
    }
    assert.equal(ready.status, 503, ready.raw);
    assert.deepEqual(ready.body.error.detail.failing, ['disk']);
    assert.match(ready.body.error.detail.checks.disk, /^\d+ MB free in .*, below PIK_MIN_FREE_DISK_MB/);
  });
});
