// The operator CLI for money, end to end: a real server process and `pik deposits …` / `pik payouts …`.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { serverNodeArgs } from './support/node-args.ts';
import { seedPikDataDir } from './support/pglite-template.ts';
import { pikCliArgs } from './support/cli.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const operatorToken = `pikop_cli_${'c'.repeat(30)}`;
let child: ChildProcess;
let base: string;
let dataDir: string;

function pik(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, pikCliArgs(args), {
    cwd: root,
    env: { ...process.env, PIK_URL: base, PIK_OPERATOR_TOKEN: operatorToken },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Like pik(), without blocking this process: for tests whose other end (a proxy) runs here. */
function pikAsync(env: Record<string, string>, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, pikCliArgs(args), { cwd: root, env: { ...process.env, PIK_URL: base, PIK_OPERATOR_TOKEN: operatorToken, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += String(c)));
    child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
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
    // completing it again (a retry after a timeout, with a new key) is the same success, and moves nothing
    const retried = pik('payouts', 'complete', one.id, '--environment', 'sandbox', '--json');
    assert.equal(retried.status, 0, retried.stderr);
    assert.deepEqual(JSON.parse(retried.stdout), JSON.parse(completed.stdout));
    assert.match(pik('payouts', 'list', '--environment', 'production').stdout, /\(none\)/);
    // Left to the default (production), a sandbox payout is not found there: the refusal and the empty list say where to look.
    const defaulted = pik('payouts', 'complete', one.id);
    assert.equal(defaulted.status, 1);
    assert.match(defaulted.stderr, /PAYOUT_NOT_FOUND[\s\S]*looked in production, the default: for a sandbox payout add --environment sandbox/);
    assert.match(pik('payouts', 'fail', two.id, '--reason', 'r').stderr, /--environment sandbox/);
    assert.match(pik('payouts', 'list').stdout, /none pending in production, the default; sandbox payouts: --environment sandbox/);
  });
});

describe('pik fx', () => {
  it('sets and lists the rate table of an environment, shows PIK\'s FX position; refusals name the field', async () => {
    const empty = pik('fx', 'rates', 'list', '--environment', 'production');
    assert.equal(empty.status, 0, empty.stderr);
    assert.match(empty.stdout, /No rates in production/);
    // Left to the default, the empty answer also says where sandbox's rates are.
    assert.match(pik('fx', 'rates', 'list').stdout, /No rates in production \(the default: for sandbox add --environment sandbox\)/);
    const set = pik('fx', 'rates', 'set', '--environment', 'production', '--pair', 'AUD/USD', '--mid', '0.6512', '--spread-bps', '30');
    assert.equal(set.status, 0, set.stderr);
    assert.match(set.stdout, /^Set AUD\/USD in production: mid 0\.6512, spread 30 bps, as of /);
    const listed = JSON.parse(pik('fx', 'rates', 'list', '--environment', 'production', '--json').stdout);
    assert.deepEqual(listed.map((r: { pair: string; mid: string; spread_bps: number }) => [r.pair, r.mid, r.spread_bps]), [['AUD/USD', '0.6512', 30]]);
    assert.match(pik('fx', 'rates', 'list', '--environment', 'sandbox').stdout, /USDT\/USD/);

    const platform = await api('POST', '/admin/v1/platforms', operatorToken, { name: 'CLI FX', owner_email: 'cli-fx@example.test' });
    const key = await api('POST', `/admin/v1/platforms/${platform.id}/keys`, operatorToken, { environment: 'production' });
    await api('POST', `/admin/v1/platforms/${platform.id}/capabilities/fx_conversion`, operatorToken, { environment: 'production' });
    const rate = await api('GET', '/api/v1/fx/rates?sell_currency=USD&buy_currency=AUD&sell_amount=10.00', key.secret);
    assert.deepEqual([rate.rate, rate.buy_amount], ['1.531019656', '15.31']);
    const positions = JSON.parse(pik('fx', 'positions', '--environment', 'production', '--json').stdout);
    assert.deepEqual(positions.map((p: { currency: string }) => p.currency), ['AUD', 'USD', 'HKD', 'SGD', 'USDT', 'USDC']);

    const bad = pik('fx', 'rates', 'set', '--environment', 'production', '--pair', 'AUD/USD', '--mid', '0.65', '--spread-bps', 'lots');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /INVALID_REQUEST/);
    assert.match(bad.stderr, /spread_bps/);
    assert.match(pik('fx', 'rates', 'set', '--environment', 'production', '--pair', 'AUD/EUR', '--mid', '1', '--spread-bps', '0').stderr, /UNSUPPORTED_CURRENCY_PAIR/);
  });
});

describe('money commands are applied once, however they are retried', () => {
  const record = (platformId: string, reference: string, ...extra: string[]) =>
    ['deposits', 'record', '--environment', 'production', '--account', platformId, '--currency', 'AUD', '--amount', '10.00', '--reference', reference, ...extra];
  const available = async (platformId: string, key: string) => (await api('GET', `/api/v1/accounts/${platformId}/wallet/balances`, key)).data[0].available as string;

  it('run twice with the same reference → the second fails with DUPLICATE_REFERENCE (a definite refusal: no key to retry with); credited once', async () => {
    const platform = await api('POST', '/admin/v1/platforms', operatorToken, { name: 'Twice', owner_email: 'twice@example.test' });
    const key = await api('POST', `/admin/v1/platforms/${platform.id}/keys`, operatorToken, { environment: 'production' });
    const first = pik(...record(platform.id, 'R1', '--json'));
    assert.equal(first.status, 0, first.stderr);
    const second = pik(...record(platform.id, 'R1'));
    assert.equal(second.status, 1);
    assert.match(second.stderr, /DUPLICATE_REFERENCE/);
    assert.match(second.stderr, new RegExp(`"deposit_id":"${JSON.parse(first.stdout).id}"`));
    assert.doesNotMatch(second.stderr, /Idempotency-Key/, 'nothing was applied, and the same key would be refused the same way');
    assert.equal(await available(platform.id, key.secret), '10.00');

    // --idempotency-key: the same run again (another invocation) prints the first answer
    const keyed = pik(...record(platform.id, 'R2', '--json', '--idempotency-key', 'stmt-R2'));
    const keyedAgain = pik(...record(platform.id, 'R2', '--json', '--idempotency-key', 'stmt-R2'));
    assert.equal(keyedAgain.status, 0, keyedAgain.stderr);
    assert.equal(keyedAgain.stdout, keyed.stdout);
    assert.equal(await available(platform.id, key.secret), '20.00');
  });

  it('the answer lost on the way back: the CLI retries with the same key and the deposit is credited once', async () => {
    const platform = await api('POST', '/admin/v1/platforms', operatorToken, { name: 'Lost answer', owner_email: 'lost@example.test' });
    const key = await api('POST', `/admin/v1/platforms/${platform.id}/keys`, operatorToken, { environment: 'production' });
    // A proxy that forwards every request but drops the connection instead of returning the first answer: the
    // deposit is recorded, the CLI sees a broken connection.
    const seenKeys: (string | undefined)[] = [];
    const proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const idempotencyKey = req.headers['idempotency-key'];
        seenKeys.push(Array.isArray(idempotencyKey) ? idempotencyKey[0] : idempotencyKey);
        const upstream = await fetch(`${base}${req.url}`, {
          method: req.method,
          headers: Object.fromEntries(Object.entries(req.headers).filter(([h]) => ['authorization', 'content-type', 'idempotency-key'].includes(h))) as Record<string, string>,
          body: Buffer.concat(chunks),
        });
        const text = await upstream.text();
        if (seenKeys.length === 1) return res.socket?.destroy();
        res.writeHead(upstream.status, { 'content-type': 'application/json', 'idempotent-replayed': upstream.headers.get('idempotent-replayed') ?? 'false' });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const viaProxy = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const run = await pikAsync({ PIK_URL: viaProxy }, ...record(platform.id, 'LOST-1', '--json'));
      assert.equal(run.status, 0, run.stderr);
      assert.equal(JSON.parse(run.stdout).reference, 'LOST-1');
      assert.equal(seenKeys.length, 2, 'the CLI retried once');
      assert.match(seenKeys[0] ?? '', /^pik-cli-/);
      assert.equal(seenKeys[1], seenKeys[0], 'with the same key');
      assert.equal(await available(platform.id, key.secret), '10.00');
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('no server to answer: after its retries the CLI says the outcome is unknown and how to retry safely', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const run = await pikAsync({ PIK_URL: `http://127.0.0.1:${port}` }, 'payouts', 'fail', 'po_x', '--reason', 'r', '--idempotency-key', 'retry-me');
    assert.equal(run.status, 1);
    assert.match(run.stderr, /Cannot reach the PIK server/);
    assert.match(run.stderr, /not known whether this was applied.*--idempotency-key retry-me/s);
  });
});
