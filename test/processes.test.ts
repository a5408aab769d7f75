// Behaviour that needs real server processes: revocation and the sign-in throttle across nodes (PostgreSQL), and the
// PGlite data-directory lock.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { createTestDatabase, needsPostgres, postgresUrl, type TestDatabase } from './support/database.ts';
import { runServerToExit, startServerProcess, type ServerProcess } from './support/server-process.ts';
import { testDataKey, testOperatorToken } from './support/context.ts';
import { callJson } from './support/http-client.ts';
import { describeOrSkip } from './support/skip.ts';

const call = (url: string, token: string, method = 'GET', body?: unknown) => callJson(url, method, '', token, body);

describeOrSkip(needsPostgres, 'two server processes on one PostgreSQL database', () => {
  let database: TestDatabase;
  let nodes: ServerProcess[] = [];

  before(async () => {
    database = await createTestDatabase();
    const env = { DATABASE_URL: database.url!, PIK_DATA_KEY: testDataKey, PIK_OPERATOR_TOKEN: testOperatorToken, PIK_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'pik-')) };
    nodes = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await database?.drop();
  });

  it('a key deleted through one node is refused by the other within one second', async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const platform = await call(`${a.url}/admin/v1/platforms`, testOperatorToken, 'POST', { name: 'Multi', owner_email: 'multi@example.test' });
    const key = await call(`${a.url}/admin/v1/platforms/${platform.body.id}/keys`, testOperatorToken, 'POST', { environment: 'sandbox' });
    // Warm node B's cache, so the test proves invalidation rather than a cold lookup.
    assert.equal((await call(`${b.url}/api/v1/account`, key.body.secret)).status, 200);
    assert.equal((await call(`${a.url}/admin/v1/keys/${key.body.id}`, testOperatorToken, 'DELETE')).status, 200);
    const deletedAt = Date.now();
    let refusedAfterMs = -1;
    while (Date.now() - deletedAt < 1000) {
      const result = await call(`${b.url}/api/v1/account`, key.body.secret);
      if (result.status === 401) {
        assert.equal(result.body.error.code, 'API_KEY_REVOKED');
        refusedAfterMs = Date.now() - deletedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(refusedAfterMs >= 0, 'node B still accepted the key one second after it was deleted');
  });

  it('an FX rate set through one node prices on the other within one second (each caches the rate table)', async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const platform = await call(`${a.url}/admin/v1/platforms`, testOperatorToken, 'POST', { name: 'Rates', owner_email: 'rates-multi@example.test' });
    const key = await call(`${a.url}/admin/v1/platforms/${platform.body.id}/keys`, testOperatorToken, 'POST', { environment: 'production' });
    assert.equal((await call(`${a.url}/admin/v1/platforms/${platform.body.id}/capabilities/fx_conversion`, testOperatorToken, 'POST', { environment: 'production' })).status, 200);
    const query = '/api/v1/fx/rates?sell_currency=AUD&buy_currency=USD';
    // Warm node B's cache with the empty production table, so the test proves invalidation rather than a cold read.
    assert.equal((await call(`${b.url}${query}`, key.body.secret)).status, 503);
    const set = await call(`${a.url}/admin/v1/fx/rates`, testOperatorToken, 'PUT', { environment: 'production', pair: 'AUD/USD', mid: '0.6512', spread_bps: 30 });
    assert.equal(set.status, 200);
    const setAt = Date.now();
    let pricedAfterMs = -1;
    while (Date.now() - setAt < 1000) {
      const result = await call(`${b.url}${query}`, key.body.secret);
      if (result.status === 200) {
        assert.equal(result.body.rate, '0.6492464');
        pricedAfterMs = Date.now() - setAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(pricedAfterMs >= 0, 'node B still had no AUD/USD rate one second after it was set');
  });

  it('the sign-in throttle is one count for both nodes: 25 wrong passwords at once, split over them, check exactly 5', async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const email = 'throttle-multi@example.test';
    const created = await call(`${a.url}/admin/v1/platforms`, testOperatorToken, 'POST', { name: 'Throttle', owner_email: email, owner_password: 'correct horse battery staple' });
    assert.equal(created.status, 201);
    // One pre-session cookie and its CSRF token serve both nodes: the token is an HMAC of the cookie, nothing per node.
    const page = await fetch(`${a.url}/dashboard/sign-in`);
    const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const statuses = await Promise.all(
      Array.from({ length: 25 }, async (_, i) => {
        const response = await fetch(`${(i % 2 === 0 ? a : b).url}/dashboard/sign-in`, {
          method: 'POST',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf, email, password: `wrong password ${i}` }).toString(),
          redirect: 'manual',
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    const counts: Record<number, number> = {};
    for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
    assert.deepEqual(counts, { 401: 5, 429: 20 }, `answers by status: ${JSON.stringify(counts)}`);
  });
});

// The embedded database only: on a PostgreSQL run it would repeat the PGlite half's test exactly.
describeOrSkip(postgresUrl ? 'embedded PGlite only: it runs in the PGlite half' : false, 'embedded database lock', () => {
  it('a second server on the same data directory exits at once and says why', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-lock-'));
    const env = { PIK_DATA_DIR: dataDir, DATABASE_URL: '', PIK_OPERATOR_TOKEN: testOperatorToken };
    const first = await startServerProcess(env, 120_000);
    try {
      const second = await runServerToExit(env);
      assert.equal(second.code, 1);
      assert.match(second.output, /already using the data directory/);
      assert.match(second.output, new RegExp(`pid ${first.child.pid}`));
    } finally {
      await first.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
