// The database going away under a running server (issue 17, part 1): backends terminated mid-transaction under load, a
// server started before its database, the database stopped and started again. Every answer meanwhile is a 503
// SERVICE_UNAVAILABLE in our shape with Retry-After — never a 500 — the process never exits, and it recovers by itself.
// PostgreSQL only: PGlite lives inside the process and cannot vanish from under it.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { openPostgres, type Database } from '../src/db/database.ts';
import { isDatabaseUnavailable } from '../src/db/errors.ts';
import { runUnitOfWork } from '../src/db/unit-of-work.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, testDataKey, testOperatorToken, type TestContext } from './support/context.ts';
import { needsPostgres } from './support/database.ts';
import { callJsonOk } from './support/http-client.ts';
import { checkLedgerInvariants } from './support/ledger.ts';
import { inParallel } from './support/load.ts';
import { startServerProcess, type ServerProcess } from './support/server-process.ts';
import { describeOrSkip } from './support/skip.ts';
import { createThrowawayPostgres, needsThrowawayPostgres, type ThrowawayPostgres } from './support/throwaway-postgres.ts';

const serverEnv = { PIK_DATA_KEY: testDataKey, PIK_OPERATOR_TOKEN: testOperatorToken, PIK_RATE_LIMIT: 'off', LOG_LEVEL: 'warn', PIK_IDEMPOTENCY_LEASE_SECONDS: '1' };

interface Answer {
  status: number;
  code: string | undefined;
  retryAfter: string | null;
}

async function transfer(base: string, key: string, to: string, idempotencyKey: string, amount = '0.01'): Promise<Answer> {
  const response = await fetch(`${base}/api/v1/transfers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify({ destination_account_id: to, currency: 'AUD', amount }),
  });
  const body = (await response.json()) as { error?: { code: string } };
  return { status: response.status, code: body.error?.code, retryAfter: response.headers.get('retry-after') };
}

/** Polls until `check` passes or `ms` pass; resolves with the time it took. */
async function within(ms: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

const isReady = async (base: string): Promise<boolean> => (await fetch(`${base}/health/ready`)).status === 200;

describeOrSkip(needsPostgres, 'a checked-out connection whose backend is terminated (PostgreSQL, in process)', () => {
  let ctx: TestContext;
  before(async () => {
    ctx = await startTestApp();
  });
  after(() => ctx.close());

  it('between two statements of a transaction: the next statement fails as "unavailable", the process lives, the pool recovers', async () => {
    const db: Database = ctx.services.db;
    const admin = new pg.Client({ connectionString: ctx.database.url });
    await admin.connect();
    // node:test reports an uncaught exception without failing the test that caused it: watch for one here.
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const outcome = runUnitOfWork(db, async (work) => {
        const tx = await work.transaction();
        const pid = await tx.core.selectNoFrom((eb) => eb.fn<number>('pg_backend_pid', []).as('pid')).executeTakeFirstOrThrow();
        await admin.query('select pg_terminate_backend($1)', [pid.pid]);
        // Idle in its transaction, the connection now receives the server's error: without a listener of its own
        // (pg-pool removes its idle one while a client is checked out) this would be an unhandled 'error' event.
        await sleep(200);
        await tx.core.selectNoFrom((eb) => eb.val(1).as('one')).execute();
      });
      const error = await outcome.then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error, 'the unit of work failed');
      assert.ok(isDatabaseUnavailable(error), `recognised as the database being unavailable: ${String(error)}`);
      // The broken connection left the pool: the next unit of work runs on a fresh one.
      const after = await runUnitOfWork(db, async (work) => (await (await work.transaction()).core.selectNoFrom((eb) => eb.val(7).as('n')).executeTakeFirstOrThrow()).n);
      assert.equal(Number(after), 7);
      assert.deepEqual(uncaught.map(String), [], 'no unhandled error event');
    } finally {
      process.off('uncaughtException', onUncaught);
      await admin.end();
    }
  });
});

describeOrSkip(needsPostgres, 'backends terminated under load (PostgreSQL, a real server process)', () => {
  let ctx: TestContext;
  let server: ServerProcess | undefined;
  before(async () => {
    ctx = await startTestApp();
  });
  after(async () => {
    await server?.stop('SIGKILL');
    await ctx.close();
  });

  it('503s with Retry-After (never 500), no exit, and every request succeeds again afterwards', async () => {
    const platform = await createTestPlatform(ctx);
    const accounts = [await createTestConnectedAccount(ctx, platform), await createTestConnectedAccount(ctx, platform)];
    server = await startServerProcess({ ...serverEnv, DATABASE_URL: ctx.database.url as string });
    const base = server.url;

    const admin = new pg.Client({ connectionString: ctx.database.url });
    await admin.connect();
    let stopLoad = false;
    const answers: Answer[] = [];
    // 16 clients: transfers (one statement, group-committed) and account creations (a transaction of several).
    const clients = Array.from({ length: 16 }, async (_, c) => {
      for (let i = 0; !stopLoad; i++) {
        try {
          if (c % 2 === 0) answers.push(await transfer(base, platform.keys.sandbox, accounts[c % 2] as string, `load-${c}-${i}`));
          else {
            const response = await fetch(`${base}/api/v1/accounts`, {
              method: 'POST',
              headers: { authorization: `Bearer ${platform.keys.sandbox}`, 'content-type': 'application/json' },
              body: JSON.stringify({ customer_type: 'individual', email: `t-${c}-${i}@example.test`, country: 'AU' }),
            });
            const body = (await response.json()) as { error?: { code: string } };
            answers.push({ status: response.status, code: body.error?.code, retryAfter: response.headers.get('retry-after') });
          }
        } catch (error) {
          answers.push({ status: 0, code: String(error), retryAfter: null });
        }
      }
    });
    let terminated = 0;
    try {
      await sleep(500);
      for (let round = 0; round < 6; round++) {
        const { rowCount } = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
        terminated += rowCount ?? 0;
        await sleep(300);
      }
    } finally {
      stopLoad = true;
      await Promise.all(clients);
      await admin.end();
    }

    const byStatus = new Map<number, number>();
    for (const a of answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
    process.stdout.write(`# ${answers.length} answers while ${terminated} backends were terminated: ${JSON.stringify(Object.fromEntries(byStatus))}\n`);
    assert.ok(terminated > 0, 'backends were terminated');
    assert.equal(server.child.exitCode, null, `the server is still running:\n${server.output()}`);
    for (const a of answers) {
      assert.ok(a.status === 201 || a.status === 503, `only successes and 503s: ${JSON.stringify(a)}`);
      if (a.status === 503) {
        assert.equal(a.code, 'SERVICE_UNAVAILABLE');
        assert.ok(Number(a.retryAfter) >= 1, 'with Retry-After');
      }
    }
    assert.doesNotMatch(server.output(), /Unhandled|uncaught/i);

    // Recovery: ready again (the LISTEN connection reconnected), and requests succeed.
    await within(15_000, 'ready again', () => isReady(base));
    for (let i = 0; i < 5; i++) assert.equal((await transfer(base, platform.keys.sandbox, accounts[0] as string, `after-${i}`)).status, 201);
    await checkLedgerInvariants(ctx.services.db, 'sandbox');
  });
});

// Only in the PostgreSQL half, so that the cluster is made once per run.
describeOrSkip(needsPostgres || needsThrowawayPostgres, 'the database stops and starts (a throwaway PostgreSQL cluster)', () => {
  let cluster: ThrowawayPostgres;
  let server: ServerProcess | undefined;
  before(async () => {
    cluster = await createThrowawayPostgres();
  });
  after(async () => {
    await server?.stop('SIGKILL');
    await cluster.destroy();
  });

  it('a server started before its database waits for it, saying so, and is ready once it arrives', async () => {
    let isWaiting = false;
    const starting = startServerProcess({ ...serverEnv, DATABASE_URL: cluster.url, PIK_DB_WAIT_SECONDS: '60' }, 120_000, 'src/main.ts', (output) => {
      isWaiting ||= output.includes('waiting for the database');
    });
    await within(60_000, 'the server says it waits for the database', async () => isWaiting);
    await sleep(1000); // a few more attempts
    await cluster.start();
    server = await starting;
    assert.match(server.output(), /waiting for the database at postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres \(.*ECONNREFUSED/);
    const ready = await fetch(`${server.url}/health/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { database: 'ok', listen: 'ok' } });
  });

  it('while it is stopped: 503 SERVICE_UNAVAILABLE (readiness names the database), liveness 200, no exit; started again, it recovers by itself', async () => {
    assert.ok(server, 'the previous test started the server');
    const base = server.url;
    const platform = await callJsonOk(base, 'POST', '/admin/v1/platforms', testOperatorToken, { name: 'Outage Co', owner_email: 'outage@example.test', owner_password: 'correct horse battery staple' });
    const key = (await callJsonOk(base, 'POST', `/admin/v1/platforms/${platform.id}/keys`, testOperatorToken, { environment: 'sandbox' })).secret as string;
    const account = (await callJsonOk(base, 'POST', '/api/v1/accounts', key, { customer_type: 'individual', email: 'payee@example.test', country: 'AU' })).id as string;
    assert.equal((await transfer(base, key, account, 'before')).status, 201);

    await cluster.stop('fast');
    const during = await inParallel(
      Array.from({ length: 10 }, (_, i) => i),
      5,
      (i) => transfer(base, key, account, `during-${i}`),
    );
    for (const answer of during) assert.deepEqual(answer, { status: 503, code: 'SERVICE_UNAVAILABLE', retryAfter: '1' });
    const notReady = await fetch(`${base}/health/ready`);
    assert.equal(notReady.status, 503);
    const body = (await notReady.json()) as { error: { code: string; message: string; detail: { failing: string[] } } };
    assert.equal(body.error.code, 'SERVICE_UNAVAILABLE');
    assert.ok(body.error.detail.failing.includes('database'), JSON.stringify(body));
    assert.match(body.error.message, /database \(unreachable/);
    assert.equal((await fetch(`${base}/health`)).status, 200, 'liveness does not depend on the database');
    await sleep(1000); // the LISTEN connection notices and starts retrying
    assert.equal(server.child.exitCode, null, 'the server is still running');

    await cluster.start();
    const tookMs = await within(10_000, 'ready after the database is back', () => isReady(base));
    process.stdout.write(`# ready ${tookMs} ms after the database was back\n`);
    // The keys answered 503 were never applied: each runs now (their claims were freed, or lapsed within the lease).
    for (let i = 0; i < 10; i++) assert.equal((await transfer(base, key, account, `during-${i}`)).status, 201);
    const db = await openPostgres(cluster.url, 1);
    try {
      await checkLedgerInvariants(db, 'sandbox');
    } finally {
      await db.close();
    }
    assert.equal(await server.stop('SIGTERM'), 0, 'a clean exit on SIGTERM');
    server = undefined;
  });
});

describe('isDatabaseUnavailable', () => {
  it('recognises lost connections, a starting or stopping server, a full disk, no connection slot left and a cancelled statement; not the statement’s own faults', () => {
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('terminating connection due to crash of another server process'), { code: '57P02' }),
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      Object.assign(new Error('connection failure'), { code: '08006' }),
      Object.assign(new Error('could not extend file: No space left on device'), { code: '53100' }),
      Object.assign(new Error('sorry, too many clients already'), { code: '53300' }),
      Object.assign(new Error('canceling statement due to user request'), { code: '57014' }),
      Object.assign(new Error('remaining connection slots are reserved for roles with the SUPERUSER attribute'), { code: '53300' }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      assert.equal(isDatabaseUnavailable(error), true, error.message);
    }
    for (const error of [Object.assign(new Error('duplicate key'), { code: '23505' }), Object.assign(new Error('deadlock'), { code: '40P01' }), new Error('boom'), null, 'text']) {
      assert.equal(isDatabaseUnavailable(error), false, String(error));
    }
  });
});
