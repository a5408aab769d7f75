// Issue 17 part 7: `pik backup` copies the embedded database from a running server while money moves, and `pik restore`
// puts it into a fresh data directory (refusing one a server holds): the restored server shows exactly the balances of
// the moment of the backup, and the ledger in it balances (no half-written movement).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pikCliArgs } from './support/cli.ts';
import { callJson, callJsonOk } from './support/http-client.ts';
import { startServerProcess, type ServerProcess } from './support/server-process.ts';

const operatorToken = `pikop_backup_${'b'.repeat(30)}`;
const root = path.resolve(import.meta.dirname, '..');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-backup-test-'));
const original = path.join(scratch, 'original');
const fresh = path.join(scratch, 'fresh');
const backupFile = path.join(scratch, 'pik.tar.gz');

function pik(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, pikCliArgs(args), { cwd: root, env: { ...process.env, PIK_OPERATOR_TOKEN: operatorToken, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const serverEnv = (dataDir: string) => ({ PIK_DATA_DIR: dataDir, PIK_OPERATOR_TOKEN: operatorToken, PIK_RATE_LIMIT: 'off', DATABASE_URL: '' });

async function balances(base: string, key: string, accounts: string[]): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const account of accounts) result[account] = (await callJsonOk(base, 'GET', `/api/v1/accounts/${account}/wallet/balances`, key)).data;
  return result;
}

function audOf(snapshot: Record<string, unknown>, account: string): number {
  const row = (snapshot[account] as { currency: string; available: string }[]).find((b) => b.currency === 'AUD');
  return Math.round(Number(row?.available) * 100);
}

describe('backup and restore of the embedded database', () => {
  let server: ServerProcess | undefined;
  let restored: ServerProcess | undefined;
  let key: string;
  let platformId: string;
  let accounts: string[];
  before(async () => {
    server = await startServerProcess(serverEnv(original), 120_000);
    const platform = await callJsonOk(server.url, 'POST', '/admin/v1/platforms', operatorToken, { name: 'Backed up', owner_email: `b-${Date.now()}@example.test` });
    platformId = platform.id;
    key = (await callJsonOk(server.url, 'POST', `/admin/v1/platforms/${platformId}/keys`, operatorToken, { environment: 'sandbox' })).secret;
    accounts = [platformId];
    for (let i = 0; i < 3; i++) {
      accounts.push((await callJsonOk(server.url, 'POST', '/api/v1/accounts', key, { customer_type: 'individual', email: `c${i}@example.test`, country: 'AU' })).id);
    }
  });
  after(async () => {
    await server?.stop();
    await restored?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  const transfer = (to: string, cents: number) =>
    callJson(server!.url, 'POST', '/api/v1/transfers', key, { destination_account_id: to, currency: 'AUD', amount: (cents / 100).toFixed(2), reference: `r-${Math.random()}` });

  it('backs up while transfers run, restores into a fresh directory, and the restored balances are those of the backup', async () => {
    for (const [i, account] of accounts.slice(1).entries()) assert.equal((await transfer(account, 1000 * (i + 1))).status, 201);
    const before = await balances(server!.url, key, accounts);

    // Money keeps moving while the backup is taken: the copy must hold whole movements only.
    let moving = true;
    const mover = (async () => {
      let n = 0;
      while (moving) await transfer(accounts[1 + (n++ % 3)] as string, 1);
      return n;
    })();
    const backup = await pik(['backup', '--out', backupFile], { PIK_URL: server!.url, PIK_DATA_DIR: original });
    moving = false;
    const moved = await mover;
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /Backed up the embedded database to .*pik\.tar\.gz/);
    assert.ok(moved > 0, 'transfers ran during the backup');

    // Refused while a server holds the directory, with a sentence saying what to do.
    const refused = await pik(['restore', backupFile], { PIK_DATA_DIR: original });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /The server is running on .*stop it first/);

    // After the backup the original moves on; the restored copy must not have this.
    assert.equal((await transfer(accounts[1] as string, 777)).status, 201);
    const afterBackup = await balances(server!.url, key, accounts);
    await server!.stop();
    server = undefined;

    fs.mkdirSync(fresh, { recursive: true });
    // The data key sealing identity data is kept apart from backups; the runbook copies it (docs/operations.md).
    fs.copyFileSync(path.join(original, 'data-key'), path.join(fresh, 'data-key'));
    const restore = await pik(['restore', backupFile], { PIK_DATA_DIR: fresh });
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /Restored .* into .*fresh.*pgdata/);

    restored = await startServerProcess(serverEnv(fresh), 120_000);
    const now = await balances(restored.url, key, accounts);
    // Whole movements only: what the platform sent is what its accounts received (every transfer here is platform → account).
    const total = (snapshot: Record<string, unknown>) => accounts.reduce((sum, account) => sum + audOf(snapshot, account), 0);
    assert.equal(total(now), total(before));
    // The backup was taken after `before` and before the 7.77 transfer: at least what was there, never what came after.
    for (const account of accounts.slice(1)) assert.ok(audOf(now, account) >= audOf(before, account));
    assert.notEqual(audOf(now, accounts[1] as string), audOf(afterBackup, accounts[1] as string));
    const movedIntoBackup = accounts.slice(1).reduce((sum, account) => sum + audOf(now, account) - audOf(before, account), 0);
    assert.ok(movedIntoBackup <= moved, `the backup holds ${movedIntoBackup} of the ${moved} cents moved during it`);
    // The restored server works: it takes new transfers.
    const next = await callJson(restored.url, 'POST', '/api/v1/transfers', key, { destination_account_id: accounts[2], currency: 'AUD', amount: '1.00', reference: 'after-restore' });
    assert.equal(next.status, 201);
  });

  it('a file that is not a backup is refused, and nothing changes', async () => {
    const junk = path.join(scratch, 'junk.tar.gz');
    fs.writeFileSync(junk, 'not a tarball');
    const result = await pik(['restore', junk], { PIK_DATA_DIR: path.join(scratch, 'other') });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /is not a backup made by `pik backup`/);
  });
});
