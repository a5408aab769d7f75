// The request log's storage: segments written by several server processes read back as one log, newest first,
// within one platform and one environment; and rows logged before segments existed carried over by migration 0005.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openPglite } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import type { Deps } from '../src/domain/deps.ts';
import { compressRequestLogLines, listRequestLog, type RequestLogRow } from '../src/domain/request-log/request-log.ts';
import { RequestLogRecorder } from '../src/domain/request-log/request-log-recorder.ts';
import { newId } from '../src/lib/ids.ts';
import { startTestApp, type TestContext } from './support/context.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

// Within the retention period: each recorder's first flush also prunes what is older than seven days.
const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

/** A recorder standing in for one server process; nothing is written until flush(). */
function processRecorder(deps: Deps): RequestLogRecorder {
  return new RequestLogRecorder(deps, ['sandbox', 'production'], 3_600_000, (error) => {
    throw error;
  });
}

interface Logged {
  id: string;
  at: number;
  accountId: string | null;
}

function log(recorder: RequestLogRecorder, platformId: string, keyId: string, at: number, accountId: string | null = null, environment: 'sandbox' | 'production' = 'sandbox'): Logged {
  const id = newId('request');
  recorder.record(environment, platformId, keyId, id, at, 'GET', '/api/v1/account', 200, null, accountId, accountId);
  return { id, at, accountId };
}

const newestFirst = (a: Logged, b: Logged): number => b.at - a.at || (a.id < b.id ? 1 : -1);
const idsOf = (rows: readonly RequestLogRow[]): string[] => rows.map((r) => r.id);

describe('request log segments', () => {
  it('merges the segments of two processes, interleaved in time, newest first, up to the limit', async () => {
    const [a, b] = [processRecorder(ctx.services), processRecorder(ctx.services)];
    const platform = newId('account');
    const key = newId('apiKey');
    const logged: Logged[] = [];
    // 40 flush intervals; each process logs in every interval, at times that interleave with the other's.
    for (let interval = 0; interval < 40; interval++) {
      for (let i = 0; i < 3; i++) {
        logged.push(log(a, platform, key, t0 + interval * 1000 + i * 20));
        logged.push(log(b, platform, key, t0 + interval * 1000 + i * 20 + 10));
      }
      await a.flush();
      await b.flush();
    }
    const expected = logged.sort(newestFirst).map((l) => l.id);
    assert.deepEqual(idsOf(await listRequestLog(ctx.services, { platformId: platform, environment: 'sandbox', keyId: key, limit: 7 })), expected.slice(0, 7));
    // 240 requests in 80 segments: enough to need several pages of segments.
    assert.deepEqual(idsOf(await listRequestLog(ctx.services, { platformId: platform, environment: 'sandbox', keyId: key, limit: 500 })), expected);
    const rows = await listRequestLog(ctx.services, { platformId: platform, environment: 'sandbox', keyId: key, limit: 1 });
    assert.deepEqual(rows[0], {
      id: expected[0],
      platform_id: platform,
      key_id: key,
      account_id: null,
      on_behalf_of: null,
      method: 'GET',
      path: '/api/v1/account',
      status: 200,
      error_code: null,
      created_at: new Date(t0 + 39 * 1000 + 2 * 20 + 10),
    });
  });

  it('finds an account among other accounts and keys, and never crosses a platform or an environment', async () => {
    const recorder = processRecorder(ctx.services);
    const [platform, otherPlatform] = [newId('account'), newId('account')];
    const [key, otherKey, foreignKey] = [newId('apiKey'), newId('apiKey'), newId('apiKey')];
    const [account, otherAccount] = [newId('account'), newId('account')];
    const mine: Logged[] = [];
    for (let interval = 0; interval < 30; interval++) {
      const at = t0 + interval * 1000;
      log(recorder, platform, key, at, otherAccount);
      log(recorder, platform, key, at + 1);
      if (interval % 7 === 0) {
        mine.push(log(recorder, platform, key, at + 2, account));
        mine.push(log(recorder, platform, key, at + 2, account)); // a repeat: stored as a short line
      }
      if (interval % 5 === 0) mine.push(log(recorder, platform, otherKey, at + 3, account));
      log(recorder, otherPlatform, foreignKey, at + 4, account); // the same id under another platform
      log(recorder, platform, key, at + 5, account, 'production'); // and in the other environment
      await recorder.flush();
    }
    const found = await listRequestLog(ctx.services, { platformId: platform, environment: 'sandbox', accountId: account, limit: 100 });
    assert.deepEqual(idsOf(found), mine.sort(newestFirst).map((l) => l.id));
    assert.ok(found.every((r) => r.account_id === account && r.platform_id === platform));
    assert.deepEqual(await listRequestLog(ctx.services, { platformId: platform, environment: 'sandbox', keyId: foreignKey }), []);
    assert.equal((await listRequestLog(ctx.services, { platformId: platform, environment: 'production', accountId: account })).length, 30);
  });
});

describe('request log compression', () => {
  it('reads back every segment size whole, from one byte to a busy key\'s second, whatever window it was given', async () => {
    // Each size around a window boundary (the window is sized to the segment), repetitive lines and random bytes alike.
    for (const size of [1, 1023, 1024, 1025, 65_537, 300_000]) {
      for (const lines of [Buffer.from('{"m":"GET","p":"/api/v1/account","s":200}\n'.repeat(Math.ceil(size / 42)).slice(0, size)), randomBytes(size)]) {
        const stored = await compressRequestLogLines(lines);
        assert.ok(gunzipSync(stored).equals(lines), `${size} bytes`);
      }
    }
  });
});

describe('request log retention', () => {
  it('deletes segments whose last request is older than seven days, and keeps the rest', async () => {
    const recorder = processRecorder(ctx.services);
    const platform = newId('account');
    const [oldKey, recentKey] = [newId('apiKey'), newId('apiKey')];
    const day = 24 * 3600 * 1000;
    log(recorder, platform, oldKey, Date.now() - 8 * day);
    const recent = log(recorder, platform, recentKey, Date.now() - 6 * day);
    await recorder.flush(); // writes both segments, then prunes (a recorder's first flush does)
    assert.deepEqual(await listRequestLog(ctx.services, { platformId: platform, environment: 'sandbox', keyId: oldKey }), []);
    assert.deepEqual(idsOf(await listRequestLog(ctx.services, { platformId: platform, environment: 'sandbox', keyId: recentKey })), [recent.id]);
  });
});

describe('migration 0005', () => {
  it('carries rows logged one per request over into segments, unchanged, and drops the old table', async () => {
    const db = await openPglite();
    try {
      await migrate(db, { through: '0004_dashboard' });
      const platform = newId('account');
      const [key, otherKey] = [newId('apiKey'), newId('apiKey')];
      const account = newId('account');
      const old: RequestLogRow[] = [];
      // Three minutes of one key's requests (so several segments), another key's, and one in production.
      for (let i = 0; i < 12; i++) {
        old.push({
          id: newId('request'),
          platform_id: platform,
          key_id: i % 4 === 3 ? otherKey : key,
          account_id: i % 3 === 0 ? account : null,
          on_behalf_of: i % 3 === 0 ? account : i === 4 ? 'invalid' : null,
          method: i % 2 ? 'POST' : 'GET',
          path: `/api/v1/accounts/${i}`,
          status: i === 5 ? 404 : 200,
          error_code: i === 5 ? 'ACCOUNT_NOT_FOUND' : null,
          created_at: new Date(t0 + i * 20_000),
        });
      }
      for (const r of old) {
        await sql`insert into sandbox.request_log (id, platform_id, key_id, account_id, on_behalf_of, method, path, status, error_code, created_at)
          values (${r.id}, ${r.platform_id}, ${r.key_id}, ${r.account_id}, ${r.on_behalf_of}, ${r.method}, ${r.path}, ${r.status}, ${r.error_code}, ${r.created_at})`.execute(db.core);
      }
      await sql`insert into production.request_log (id, platform_id, key_id, method, path, status, created_at)
        values (${newId('request')}, ${platform}, ${key}, 'GET', '/api/v1/account', 200, ${new Date(t0)})`.execute(db.core);

      await migrate(db);

      const deps = { db, now: () => new Date() } as unknown as Deps;
      const byKey = (k: string) => old.filter((r) => r.key_id === k).reverse();
      assert.deepEqual(await listRequestLog(deps, { platformId: platform, environment: 'sandbox', keyId: key }), byKey(key));
      assert.deepEqual(await listRequestLog(deps, { platformId: platform, environment: 'sandbox', keyId: otherKey }), byKey(otherKey));
      const forAccount = old.filter((r) => r.account_id === account).reverse();
      assert.deepEqual(await listRequestLog(deps, { platformId: platform, environment: 'sandbox', accountId: account }), forAccount);
      assert.equal((await listRequestLog(deps, { platformId: platform, environment: 'production', keyId: key })).length, 1);
      const segments = await db.env('sandbox').selectFrom('request_log_segments').select(['key_id', 'entry_count']).where('key_id', '=', key).execute();
      assert.equal(segments.length, 4, 'one segment per key and minute'); // minutes 0, 1, 2, 3 (the last row is at 3:40)
      const table = await sql<{ name: string | null }>`select to_regclass('sandbox.request_log')::text as name`.execute(db.core);
      assert.equal(table.rows[0]?.name, null);
    } finally {
      await db.close();
    }
  });
});
