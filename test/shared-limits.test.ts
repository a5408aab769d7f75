// Issue 17 part 5: every server process counts against one set of limits — the per-key rate limit, the failed
// authentications per address and the dashboard's sign-in throttle — in PostgreSQL, and in Redis with PIK_REDIS_URL.
// Two servers on one database, each with its own pool and limiters, stand for two processes.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestPlatform, startPeerApp, startTestApp, type TestContext } from './support/context.ts';
import { createDashboardPlatform, dashboardClient, testPassword } from './support/dashboard.ts';
import { needsPostgres } from './support/database.ts';
import { needsRedis, testRedisUrl } from './support/redis.ts';
import { describeOrSkip } from './support/skip.ts';

const redisMissing = needsPostgres ? false : await needsRedis();
const stores = [
  { name: 'PostgreSQL', skip: needsPostgres, redisUrl: undefined },
  { name: 'Redis (PIK_REDIS_URL)', skip: needsPostgres || redisMissing, redisUrl: testRedisUrl },
];

/** A client address of its own: Redis is shared by every test run on this machine, and counts addresses per minute. */
function freshAddress(): string {
  return `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
}

/** Waits out the end of a minute: a window that turns mid-test would start the counts again. */
async function awayFromWindowEnd(seconds: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < seconds * 1000) await sleep(left + 50);
}

for (const store of stores) {
  describeOrSkip(store.skip, `shared limits in ${store.name}`, () => {
    let a: TestContext;
    let b: TestContext;
    const authFailuresPerMinute = 5;
    before(async () => {
      const config = { rateLimitEnabled: true, authFailuresPerMinute, redisUrl: store.redisUrl };
      a = await startTestApp(config);
      b = await startPeerApp(a, config);
      assert.equal(a.services.sharedCounters?.kind, store.redisUrl ? 'redis' : 'postgres');
    });
    after(async () => {
      await b?.close();
      await a?.close();
    });

    it('two processes share one rate limit: 2 + 40 requests at once, half to each, against a limit of 10 → at most 10 pass, at most one slot per process short', async () => {
      const platform = await createTestPlatform(a);
      assert.equal((await a.admin('PUT', `/admin/v1/platforms/${platform.id}/rate-limits`, { limits: { general: 10 } })).status, 200);
      await awayFromWindowEnd(10);
      // One request on each first, so both know the key: 20 lookups of an unknown key at once would count as pending
      // failed authentications and be refused as such (AUTHENTICATION_THROTTLED), which is not what this is about.
      for (const server of [a, b]) assert.equal((await server.call('GET', '/api/v1/account', { key: platform.keys.sandbox })).status, 200);
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).call('GET', '/api/v1/account', { key: platform.keys.sandbox })));
      const passed = (server: 0 | 1) => answers.filter((r, i) => i % 2 === server && r.status === 200).length;
      const statuses = answers.map((r) => r.status);
      // Never more than the limit (10, 2 of them used above). A process reserves ahead of its requests (a block of 1
      // here, a tenth of the limit), and a block reserved just as the budget runs out may go unused while the other
      // process's requests find none left: the documented approximation (src/http/rate-limit.ts), one block per process.
      const admitted = statuses.filter((s) => s === 200).length;
      assert.ok(admitted <= 8 && admitted >= 8 - 2, `one budget for both: ${passed(0)} passed on one, ${passed(1)} on the other`);
      assert.equal(statuses.filter((s) => s === 429).length, 40 - admitted);
      const refused = answers.find((r) => r.status === 429);
      assert.equal(refused?.body.error.code, 'RATE_LIMITED');
      assert.ok(Number(refused?.headers['retry-after']) >= 1);
      // Both processes know the budget is spent.
      assert.equal((await a.call('GET', '/api/v1/account', { key: platform.keys.sandbox })).status, 429);
      assert.equal((await b.call('GET', '/api/v1/account', { key: platform.keys.sandbox })).status, 429);
    });

    it('sequential requests alternating between the processes: the sum stays within the limit, and reaches it', async () => {
      const platform = await createTestPlatform(a);
      await a.admin('PUT', `/admin/v1/platforms/${platform.id}/rate-limits`, { limits: { general: 7 } });
      await awayFromWindowEnd(10);
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) statuses.push((await (i % 2 === 0 ? a : b).call('GET', '/api/v1/account', { key: platform.keys.sandbox })).status);
      assert.equal(statuses.filter((s) => s === 200).length, 7, statuses.join(' '));
    });

    it('failed authentications from one address count on every process: a process that has not seen it fail learns the total from its first failure', async () => {
      const address = freshAddress();
      await awayFromWindowEnd(5);
      const bad = (server: TestContext) => server.call('GET', '/api/v1/account', { key: 'pik_test_not-a-real-key', remoteAddress: address });
      const onA: number[] = [];
      for (let i = 0; i < authFailuresPerMinute + 1; i++) onA.push((await bad(a)).status);
      assert.deepEqual(onA, [401, 401, 401, 401, 401, 429]);
      await a.services.authFailures?.flush();
      // Without sharing, b would answer this address five 401s of its own.
      const first = await bad(b);
      assert.equal(first.status, 401);
      await b.services.authFailures?.flush();
      const second = await bad(b);
      assert.equal(second.status, 429);
      assert.equal(second.body.error.code, 'AUTHENTICATION_THROTTLED');
      // The operator gate counts against the same limit: the right token is refused too from that address.
      const operator = await b.call('GET', '/admin/v1/platforms', { headers: { authorization: `Bearer ${b.operatorToken}` }, remoteAddress: address });
      assert.equal(operator.status, 429);
      // Another address is not affected.
      assert.equal((await b.call('GET', '/api/v1/account', { key: 'pik_test_not-a-real-key', remoteAddress: freshAddress() })).status, 401);
    });

    it('failures spread over both processes at once stay within the limit plus what one batch can miss', async () => {
      const address = freshAddress();
      await awayFromWindowEnd(5);
      const answers: number[] = [];
      for (let i = 0; i < 20; i++) {
        answers.push((await (i % 2 === 0 ? a : b).call('GET', '/api/v1/account', { key: 'pik_test_nope', remoteAddress: address })).status);
        await sleep(40); // longer than a batch's wait: each failure is shared before the next request
      }
      const failures = answers.filter((s) => s === 401).length;
      // Each process misses at most the failures of the batch in flight; here every batch is sent before the next request.
      assert.ok(failures <= authFailuresPerMinute + 1, `401s: ${answers.join(' ')}`);
      assert.ok(failures >= authFailuresPerMinute, `401s: ${answers.join(' ')}`);
      assert.equal(answers.at(-1), 429);
    });

    it('one sign-in throttle: five wrong passwords on one process lock the email on the other, right password included', async () => {
      const platform = await createDashboardPlatform(a);
      const onA = dashboardClient(a, freshAddress());
      for (let i = 0; i < 5; i++) assert.equal((await onA.signIn(platform.email, `wrong ${i}`)).status, 401);
      const onB = dashboardClient(b, freshAddress());
      const locked = await onB.signIn(platform.email, testPassword);
      assert.equal(locked.status, 429);
      assert.match(locked.body, /Too many failed sign-in attempts/);
    });
  });
}
