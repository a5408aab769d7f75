// GET /admin/v1/backup in process: the operator token first; a gzipped tarball with its digest on the embedded
// database; 409 BACKUP_NOT_EMBEDDED on PostgreSQL, whose backups are pg_dump's (test/backup.test.ts runs the CLI).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestContext } from './support/context.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

describe('GET /admin/v1/backup', () => {
  it('401 without the operator token', async () => {
    const result = await ctx.call('GET', '/admin/v1/backup');
    assert.equal(result.status, 401);
    assert.equal(result.body.error.code, 'OPERATOR_TOKEN_INVALID');
  });

  it(process.env.DATABASE_URL ? '409 BACKUP_NOT_EMBEDDED on PostgreSQL' : 'the data directory as a .tar.gz, with its SHA-256 in a header', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/admin/v1/backup', headers: { authorization: `Bearer ${ctx.operatorToken}` } });
    if (ctx.database.db.kind === 'postgres') {
      assert.equal(response.statusCode, 409);
      assert.equal(response.json().error.code, 'BACKUP_NOT_EMBEDDED');
      return;
    }
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/gzip');
    assert.match(String(response.headers['content-disposition']), /attachment; filename="pik-backup-.*\.tar\.gz"/);
    const tarball = response.rawPayload;
    assert.equal(response.headers['x-pik-backup-sha256'], createHash('sha256').update(tarball).digest('hex'));
    const tar = gunzipSync(tarball);
    assert.ok(tar.includes(Buffer.from('PG_VERSION')), 'a PostgreSQL data directory');
  });
});
