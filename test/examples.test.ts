// The examples run, as a user runs them: a started server process, `tsx examples/…` importing '@pik/sdk' (the built
// workspace package). The quickstart walks account → KYC → approval → capability → transfer → payout → balances; the
// webhook receiver verifies a real delivery of an event the test triggers, and refuses a forged one.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { buildSdkIfStale } from '../scripts/build-sdk.mjs';
import { testDataKey, testOperatorToken } from './support/context.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { callJsonOk } from './support/http-client.ts';
import { seedPikDataDir } from './support/pglite-template.ts';
import { startServerProcess, type ServerProcess } from './support/server-process.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let server: ServerProcess;
let database: TestDatabase | undefined;
let dataDir: string | undefined;
let key: string;

before(async () => {
  await buildSdkIfStale();
  let env: Record<string, string>;
  if (process.env.DATABASE_URL) {
    database = await createTestDatabase();
    env = { DATABASE_URL: database.url as string, PIK_DATA_KEY: testDataKey };
  } else {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-examples-'));
    await seedPikDataDir(dataDir);
    env = { PIK_DATA_DIR: dataDir };
  }
  server = await startServerProcess({ ...env, PIK_OPERATOR_TOKEN: testOperatorToken, PIK_RATE_LIMIT: 'off', PIK_WEBHOOK_ALLOW_LOOPBACK: 'sandbox', PIK_WEBHOOK_POLL_MS: '50', LOG_LEVEL: 'error' }, 120_000);
  const platform = await callJsonOk(server.url, 'POST', '/admin/v1/platforms', testOperatorToken, { name: 'Examples Co', owner_email: `examples-${Date.now()}@example.test` });
  key = (await callJsonOk(server.url, 'POST', `/admin/v1/platforms/${platform.id}/keys`, testOperatorToken, { environment: 'sandbox' })).secret as string;
});

after(async () => {
  await server?.stop('SIGKILL');
  await database?.drop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Example {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

function runExample(file: string, env: Record<string, string>): Example {
  const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += String(chunk);
    for (const wake of waiters) wake();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (!match) return;
          cleanup();
          resolve(match);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${file}: no ${pattern} within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
}

async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('examples', () => {
  it('examples/quickstart.ts: account → KYC → approval → capability → transfer → payout → balances', async () => {
    const example = runExample('examples/quickstart.ts', { PIK_API_KEY: key, PIK_BASE_URL: server.url });
    const code = await example.exited;
    const output = example.output();
    assert.equal(code, 0, output);
    for (const step of ['1. Platform acct_', '2. Created connected account acct_', '3. Submitted KYC: pending', '4. Sandbox approval: approved', 'payouts=active', '6. Transfer tr_', '7. Payout po_', 'Sandbox rail answered: completed']) {
      assert.ok(output.includes(step), `${step}\n${output}`);
    }
    assert.match(output, /8\. Balances of acct_\w+: AUD available 150\.00, pending 0\.00/);
  });

  it('examples/webhook-receiver.ts: verifies a real delivery of an event the test triggers; refuses a forged one', async () => {
    const port = await freePort();
    const endpoint = await callJsonOk(server.url, 'POST', '/api/v1/webhooks', key, { url: `http://127.0.0.1:${port}/webhooks`, events: ['account.created'] });
    const receiver = runExample('examples/webhook-receiver.ts', { PIK_WEBHOOK_SECRET: endpoint.secret as string, PORT: String(port) });
    try {
      await receiver.waitFor(/webhook receiver listening on/);
      const account = await callJsonOk(server.url, 'POST', '/api/v1/accounts', key, { customer_type: 'business', email: 'hooked@example.test', country: 'AU' });
      const verified = await receiver.waitFor(new RegExp(`verified account\\.created (evt_\\w+) for ${account.id}`));
      await receiver.waitFor(new RegExp(`new account ${account.id} \\(business, AU\\)`));
      // PIK recorded the receiver's 2xx: the delivery is delivered.
      let status = '';
      for (let i = 0; i < 100 && status !== 'delivered'; i++) {
        const deliveries = await callJsonOk(server.url, 'GET', `/api/v1/webhooks/${endpoint.id}/deliveries`, key);
        status = deliveries.data.find((d: { event_id: string }) => d.event_id === verified[1])?.status ?? '';
        if (status !== 'delivered') await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(status, 'delivered');

      const forged = await fetch(`http://127.0.0.1:${port}/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': 'wd_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' },
        body: JSON.stringify({ type: 'account.created' }),
      });
      assert.equal(forged.status, 400);
      await receiver.waitFor(/refused a delivery: signature_mismatch/);
    } finally {
      receiver.child.kill('SIGTERM');
      await receiver.exited;
    }
  });
});
