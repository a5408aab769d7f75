// @pik/sdk retries, proven through a fault-injecting proxy between the SDK and a live server: a dropped connection
// (before the server saw the request, or after it applied it), 503, 429 with Retry-After and 409
// IDEMPOTENCY_KEY_IN_USE are retried with the same Idempotency-Key, and the change happens once.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ApiError, InvalidRequestError, type Pik, PikError, responseOf } from '../packages/sdk/src/index.ts';
import { startSdkServer, type SdkServer } from './support/sdk.ts';

type Fault = 'drop-before' | 'drop-after' | '503' | '429' | 'in-use';

interface Seen {
  method: string;
  url: string;
  idempotencyKey: string | undefined;
  fault: Fault | undefined;
}

let server: SdkServer;
let proxy: http.Server;
let proxied: Pik;
let account: string;
let faults: Fault[] = [];
let seen: Seen[] = [];

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Forwards to the server, except that the next request in `faults` suffers its fault. */
function startProxy(target: string): Promise<http.Server> {
  const upstream = new URL(target);
  const proxyServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const fault = req.url?.startsWith('/api/v1/') ? faults.shift() : undefined;
      const key = req.headers['idempotency-key'];
      seen.push({ method: req.method ?? '', url: req.url ?? '', idempotencyKey: Array.isArray(key) ? key[0] : key, fault });
      if (fault === 'drop-before') return req.socket.destroy();
      if (fault === '503') return json(res, 503, { error: { code: 'SERVICE_UNAVAILABLE', message: 'injected', request_id: 'req_proxy' } });
      if (fault === '429') return json(res, 429, { error: { code: 'RATE_LIMITED', message: 'injected', request_id: 'req_proxy' } }, { 'retry-after': '1' });
      if (fault === 'in-use') return json(res, 409, { error: { code: 'IDEMPOTENCY_KEY_IN_USE', message: 'injected', request_id: 'req_proxy' } });
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (answer) => {
          const body: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => body.push(chunk));
          answer.on('end', () => {
            // The server applied the request; its answer never reaches the client.
            if (fault === 'drop-after') return req.socket.destroy();
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(body));
          });
        },
      );
      forward.on('error', () => req.socket.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  return new Promise((resolve) => proxyServer.listen(0, '127.0.0.1', () => resolve(proxyServer)));
}

before(async () => {
  server = await startSdkServer();
  account = (await server.pik.accounts.create({ customer_type: 'individual', email: 'retries@example.test', country: 'AU' })).id;
  proxy = await startProxy(server.baseUrl);
  proxied = server.client({ baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, maxRetries: 3, initialRetryDelayMs: 20 });
});
after(async () => {
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
  await server.ctx.close();
});
beforeEach(() => {
  faults = [];
  seen = [];
});

async function transfersTo(accountId: string, reference: string): Promise<number> {
  const all = await server.pik.transfers.list({ account_id: accountId }).toArray();
  return all.filter((t) => t.reference === reference).length;
}

describe('@pik/sdk retries through a fault-injecting proxy', () => {
  it('a POST survives a dropped answer, 503, 409 IDEMPOTENCY_KEY_IN_USE and 429: one key on every attempt, one transfer', async () => {
    faults = ['drop-after', '503', 'in-use', '429'];
    const started = Date.now();
    const transfer = await proxied.transfers.create({ destination_account_id: account, currency: 'AUD', amount: '7.00', reference: 'retried-1' }, { maxRetries: 4 });
    const elapsed = Date.now() - started;
    assert.equal(seen.length, 5, 'four faults, then the answer');
    const keys = new Set(seen.map((s) => s.idempotencyKey));
    assert.equal(keys.size, 1, `one Idempotency-Key across attempts: ${[...keys].join(', ')}`);
    assert.match([...keys][0] ?? '', /^[0-9a-f-]{36}$/);
    const info = responseOf(transfer);
    assert.equal(info?.attempts, 5);
    assert.equal(info?.replayed, true, 'the first attempt reached the server: the last one is its stored answer');
    assert.ok(elapsed >= 1000, `Retry-After: 1 was honoured (${elapsed} ms)`);
    assert.equal(await transfersTo(account, 'retried-1'), 1, 'the transfer happened once');
    const balances = await server.pik.wallets.balances(account);
    assert.equal(balances.data.find((b) => b.currency === 'AUD')?.available, '7.00');
  });

  it('a connection dropped before the server saw it is retried, for a GET as for a POST', async () => {
    faults = ['drop-before'];
    assert.equal((await proxied.accounts.get(account)).id, account);
    assert.equal(seen.length, 2);
    assert.equal(seen[0]?.idempotencyKey, undefined, 'a GET carries no key');

    faults = ['drop-before', 'drop-before'];
    seen = [];
    const created = await proxied.transfers.create({ destination_account_id: account, currency: 'AUD', amount: '1.00', reference: 'retried-2' });
    assert.equal(responseOf(created)?.replayed, false, 'the server first saw the last attempt');
    assert.equal(new Set(seen.map((s) => s.idempotencyKey)).size, 1);
    assert.equal(await transfersTo(account, 'retried-2'), 1);
  });

  it('gives up after maxRetries: the last error is thrown and nothing happened', async () => {
    faults = ['503', '503', '503', '503'];
    const error = await proxied.transfers.create({ destination_account_id: account, currency: 'AUD', amount: '1.00', reference: 'never' }).catch((e: unknown) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 503);
    assert.equal(seen.length, 4, 'the first attempt and maxRetries (3) retries');
    assert.equal(await transfersTo(account, 'never'), 0);
  });

  it('answers that retrying cannot change are not retried: 400, 404, 422', async () => {
    const bad = await proxied.transfers.create({ destination_account_id: account, currency: 'AUD', amount: '-1' }).catch((e: unknown) => e);
    assert.ok(bad instanceof InvalidRequestError);
    const missing = await proxied.transfers.get('tr_01m8g5hycd5qba505sf93e83c5').catch((e: unknown) => e);
    assert.ok(missing instanceof PikError);
    assert.equal(missing.status, 404);
    assert.equal(seen.length, 2);
  });

  it('backoff grows exponentially, with jitter, capped', () => {
    const client = server.client({ initialRetryDelayMs: 100, maxRetryDelayMs: 1_000 }) as unknown as { accounts: { transport: { backoffMs(attempt: number): number } } };
    const transport = client.accounts.transport;
    for (let i = 0; i < 50; i++) {
      const [first, second, fifth] = [transport.backoffMs(1), transport.backoffMs(2), transport.backoffMs(5)];
      assert.ok(first >= 50 && first <= 100, String(first));
      assert.ok(second >= 100 && second <= 200, String(second));
      assert.ok(fifth >= 500 && fifth <= 1_000, String(fifth));
    }
  });
});
