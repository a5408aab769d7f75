// Webhook delivery across real server processes: kill -9 mid-delivery loses nothing (PGlite data directory, or
// PostgreSQL with DATABASE_URL), and two processes on one PostgreSQL database make each attempt once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { testDataKey, testOperatorToken } from './support/context.ts';
import { createTestDatabase, needsPostgres, type TestDatabase } from './support/database.ts';
import { callJsonOk } from './support/http-client.ts';
import { seedPikDataDir } from './support/pglite-template.ts';
import { startServerProcess, type ServerProcess } from './support/server-process.ts';
import { describeOrSkip } from './support/skip.ts';
import { startReceiver, type Receiver } from './support/webhook-receiver.ts';

// A short timeout makes the lease of a claimed delivery short (timeout + 5 s): a dead process's claims lapse soon.
const webhookEnv = { PIK_WEBHOOK_ALLOW_LOOPBACK: 'sandbox', PIK_WEBHOOK_TIMEOUT_MS: '1000', PIK_WEBHOOK_RETRY_SCHEDULE: '200ms,200ms,200ms', PIK_WEBHOOK_POLL_MS: '50' };

async function platformWithEndpoint(url: string, receiverUrl: string): Promise<{ key: string; secret: string; endpointId: string }> {
  const platform = await callJsonOk(url, 'POST', '/admin/v1/platforms', testOperatorToken, { name: 'Hooks Co', owner_email: `hooks-${Date.now()}@example.test` });
  const key = (await callJsonOk(url, 'POST', `/admin/v1/platforms/${platform.id}/keys`, testOperatorToken, { environment: 'sandbox' })).secret as string;
  const endpoint = await callJsonOk(url, 'POST', '/api/v1/webhooks', key, { url: receiverUrl, events: ['account.created'] });
  return { key, secret: endpoint.secret as string, endpointId: endpoint.id as string };
}

const createAccount = (url: string, key: string, i: number) => callJsonOk(url, 'POST', '/api/v1/accounts', key, { customer_type: 'individual', email: `c${i}@example.test`, country: 'AU' });

describe(`kill -9 mid-delivery (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;
  let receiver: Receiver;

  before(async () => {
    receiver = await startReceiver();
    if (process.env.DATABASE_URL) {
      database = await createTestDatabase();
      env = { DATABASE_URL: database.url as string, PIK_DATA_KEY: testDataKey };
    } else {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-hooks-crash-'));
      await seedPikDataDir(dataDir);
      env = { PIK_DATA_DIR: dataDir };
    }
    Object.assign(env, webhookEnv, { PIK_OPERATOR_TOKEN: testOperatorToken, PIK_RATE_LIMIT: 'off', LOG_LEVEL: 'error' });
  });

  after(async () => {
    await server?.stop('SIGKILL');
    await receiver.close();
    await database?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('deliveries in flight when the process dies are made after the restart, with the same webhook-id; none is lost', async () => {
    server = await startServerProcess(env, 120_000);
    const { key, secret } = await platformWithEndpoint(server.url, receiver.url);
    receiver.behave(() => 'hang'); // every attempt is in flight, unanswered, when the process dies
    const accounts = [];
    for (let i = 0; i < 5; i++) accounts.push((await createAccount(server.url, key, i)).id as string);
    await receiver.waitFor(5);
    const inFlight = new Map(receiver.received.map((r) => [JSON.parse(r.body).account_id as string, r.headers['webhook-id']]));
    assert.deepEqual([...inFlight.keys()].sort(), [...accounts].sort());

    await server.stop('SIGKILL');
    assert.equal(server.child.signalCode, 'SIGKILL');
    receiver.behave(() => ({ status: 200 }));
    const before = receiver.received.length;
    server = await startServerProcess(env, 120_000);
    const redone = (await receiver.waitFor(before + 5, undefined, 20_000)).slice(before);
    for (const request of redone) {
      const body = JSON.parse(request.body);
      assert.equal(request.headers['webhook-id'], inFlight.get(body.account_id), 'the same delivery, not a new one');
      new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
    }
    assert.deepEqual(redone.map((r) => JSON.parse(r.body).account_id).sort(), [...accounts].sort(), 'every event delivered after the restart');
  });
});

describeOrSkip(needsPostgres, 'two server processes share delivery on one PostgreSQL database', () => {
  let database: TestDatabase;
  let nodes: ServerProcess[] = [];
  let receiver: Receiver;

  before(async () => {
    receiver = await startReceiver();
    database = await createTestDatabase();
    const env = {
      ...webhookEnv,
      DATABASE_URL: database.url as string,
      PIK_DATA_KEY: testDataKey,
      PIK_OPERATOR_TOKEN: testOperatorToken,
      PIK_RATE_LIMIT: 'off',
      PIK_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'pik-')),
    };
    nodes = await Promise.all([startServerProcess(env), startServerProcess(env)]);
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await receiver.close();
    await database?.drop();
  });

  it('each attempt is made by one process only: a failed first attempt and its retry, never more', async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const { key } = await platformWithEndpoint(a.url, receiver.url);
    const seen = new Map<string, number>();
    // The first attempt of every delivery fails, so each is claimed twice: once fresh, once as a retry.
    receiver.behave((_, r) => {
      const id = String(r.headers['webhook-id']);
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      return { status: n === 1 ? 500 : 200 };
    });
    const count = 40;
    await Promise.all(Array.from({ length: count }, (_, i) => createAccount(i % 2 === 0 ? a.url : b.url, key, i)));
    await receiver.waitFor(count * 2, undefined, 30_000);
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive now
    assert.equal(seen.size, count);
    assert.deepEqual([...new Set(seen.values())], [2], 'every delivery was attempted exactly twice: no attempt was made by both processes');
  });
});
