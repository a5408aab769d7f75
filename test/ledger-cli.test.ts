// The operator CLI for money, end to end: a real server process and `pik deposits …` / `pik payouts …`.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { serverNodeArgs } from './support/node-args.ts';
import { seedPikDataDir } from './support/pglite-template.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const operatorToken = `pikop_cli_${'c'.repeat(30)}`;
let child: ChildProcess;
let base: string;
let dataDir: string;

function pik(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/pik.ts', ...args], {
    cwd: root,
    env: { ...process.env, PIK_URL: base, PIK_OPERATOR_TOKEN: operatorToken },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function api(method: string, url: string, token: string, body?: unknown) {
  const response = await fetch(`${base}${url}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return (await response.json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-cli-'));
  // Already migrated: the subject here is the CLI, not a first start (test/processes.test.ts starts on an empty one).
  await seedPikDataDir(dataDir);
  child = spawn(process.execPath, serverNodeArgs('src/main.ts'), {
    cwd: root,
    env: { ...process.env, DATABASE_URL: '', PIK_DATA_DIR: dataDir, PORT: '0', PIK_OPERATOR_TOKEN: operatorToken, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += String(chunk);
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
});
after(async () => {
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('pik deposits and pik payouts', () => {
  it('records a deposit, lists, completes and fails payouts; errors go to stderr with exit 1', async () => {
    const platform = await api('POST', '/admin/v1/platforms', operatorToken, { name: 'CLI', owner_email: 'cli@example.test' });
    const key = await api('POST', `/admin/v1/platforms/${platform.id}/keys`, operatorToken, { environment: 'production' });

    const recorded = pik('deposits', 'record', '--environment', 'production', '--account', platform.id, '--currency', 'AUD', '--amount', '10.00', '--reference', 'R', '--json');
    assert.equal(recorded.status, 0, recorded.stderr);
    const deposit = JSON.parse(recorded.stdout);
    assert.deepEqual([deposit.status, deposit.amount, deposit.reference], ['settled', '10.00', 'R']);
    const balances = await api('GET', `/api/v1/accounts/${platform.id}/wallet/balances`, key.secret);
    assert.equal(balances.data[0].available, '10.00');

    const human = pik('deposits', 'record', '--environment', 'production', '--account', platform.id, '--currency', 'AUD', '--amount', '1', '--reference', 'R2');
    assert.match(human.stdout, /^Recorded dep_/);
    const bad = pik('deposits', 'record', '--environment', 'production', '--account', platform.id, '--currency', 'AUD', '--amount', '1.001', '--reference', 'R3');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /INVALID_AMOUNT/);

    // sandbox payouts answered through the operator path (production needs the operator to enable payouts first)
    const sandboxKey = await api('POST', `/admin/v1/platforms/${platform.id}/keys`, operatorToken, { environment: 'sandbox' });
    const body = { currency: 'AUD', amount: '5.00', destination_type: 'bank_account', destination: { bsb: '062000', account_number: '123456', account_name: 'X' } };
    const one = await api('POST', '/api/v1/payouts', sandboxKey.secret, body);
    const two = await api('POST', '/api/v1/payouts', sandboxKey.secret, body);
    const listed = pik('payouts', 'list', '--environment', 'sandbox', '--json');
    assert.deepEqual(JSON.parse(listed.stdout).map((p: { id: string }) => p.id), [one.id, two.id]);
    assert.match(pik('payouts', 'list', '--environment', 'sandbox').stdout, /062000 123456 X/);
    const completed = pik('payouts', 'complete', one.id, '--environment', 'sandbox', '--json');
    assert.equal(JSON.parse(completed.stdout).status, 'completed');
    const failed = pik('payouts', 'fail', two.id, '--environment', 'sandbox', '--reason', 'Account closed');
    assert.match(failed.stdout, /failed \(Account closed\); 5\.00 AUD released/);
    const again = pik('payouts', 'complete', two.id, '--environment', 'sandbox');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /PAYOUT_NOT_PENDING/);
    assert.match(pik('payouts', 'list', '--environment', 'production').stdout, /\(none\)/);
  });
});
