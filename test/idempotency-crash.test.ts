// kill -9 between commit and response: a retry with the same Idempotency-Key gets the original answer, never a 409.
// Runs against a real server process on PGlite (a data directory) or, with DATABASE_URL, on PostgreSQL.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testDataKey, testOperatorToken } from './support/context.ts';
import { createTestDatabase, type TestDatabase } from './support/database.ts';
import { callJsonOk } from './support/http-client.ts';
import { seedPikDataDir } from './support/pglite-template.ts';
import { startServerProcess, type ServerProcess } from './support/server-process.ts';

describe(`kill -9 after commit, before the response (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  let env: Record<string, string>;
  let server: ServerProcess | undefined;

  before(async () => {
    if (process.env.DATABASE_URL) {
      database = await createTestDatabase();
      env = { DATABASE_URL: database.url as string, PIK_DATA_KEY: testDataKey };
    } else {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-crash-'));
      await seedPikDataDir(dataDir); // the migrated template: the subject here is the crash, not the first start
      env = { PIK_DATA_DIR: dataDir };
    }
    Object.assign(env, { PIK_OPERATOR_TOKEN: testOperatorToken, PIK_RATE_LIMIT: 'off', LOG_LEVEL: 'error' });
  });

  after(async () => {
    await server?.stop('SIGKILL');
    await database?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a retry of POST /transfers replays the committed answer, and the money moved once', async () => {
    server = await startServerProcess(env, 120_000, 'test/support/crash-after-commit-server.ts');
    const platform = await callJsonOk(server.url, 'POST', '/admin/v1/platforms', testOperatorToken, {
      name: 'Crash Co',
      owner_email: 'crash@example.test',
      owner_password: 'correct horse battery staple',
    });
    const key = (await callJsonOk(server.url, 'POST', `/admin/v1/platforms/${platform.id}/keys`, testOperatorToken, { environment: 'sandbox' })).secret as string;
    const account = (await callJsonOk(server.url, 'POST', '/api/v1/accounts', key, { customer_type: 'individual', email: 'payee@example.test', country: 'AU' })).id as string;

    const body = JSON.stringify({ destination_account_id: account, currency: 'AUD', amount: '12.34', reference: 'crash-1' });
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': 'transfer-crash-1' };
    const crashed = server;
    await assert.rejects(fetch(`${crashed.url}/api/v1/transfers`, { method: 'POST', headers: { ...headers, 'x-test-crash': 'after-commit' }, body }));
    await crashed.stop(); // already dead: resolves with its exit
    assert.equal(crashed.child.signalCode, 'SIGKILL', 'the server died by SIGKILL after the commit');

    server = await startServerProcess(env, 120_000);
    const retry = await fetch(`${server.url}/api/v1/transfers`, { method: 'POST', headers, body });
    const text = await retry.text();
    assert.equal(retry.status, 201, text);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    const transfer = JSON.parse(text);
    assert.match(transfer.id, /^tr/);
    assert.equal(transfer.amount, '12.34');
    assert.equal(transfer.destination_account_id, account);

    // The answer is stored, not rebuilt: a second retry gets the same bytes.
    const again = await fetch(`${server.url}/api/v1/transfers`, { method: 'POST', headers, body });
    assert.equal(await again.text(), text);

    // Applied exactly once: the payee holds 12.34 and its history has the one transfer the answer names.
    const balances = await callJsonOk(server.url, 'GET', `/api/v1/accounts/${account}/wallet/balances`, key);
    const aud = balances.data.find((b: { currency: string }) => b.currency === 'AUD');
    assert.equal(aud.available, '12.34');
    const history = await callJsonOk(server.url, 'GET', `/api/v1/accounts/${account}/transactions`, key);
    assert.equal(history.data.length, 1);
    assert.equal(history.data[0].amount, '12.34');
  });
});
