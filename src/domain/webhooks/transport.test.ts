// The webhook transport against real receivers on loopback: what an attempt reports, how long it may take, which
// connections it keeps, and which addresses it refuses to open a connection to at all.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo, type LookupFunction } from 'node:net';
import { after, describe, it } from 'node:test';
import { parseRetryAfter, WebhookTransport, type WebhookTransportOptions } from './transport.ts';

interface Receiver {
  /** `http://host:port`, host bracketed when IPv6. */
  origin: string;
  port: number;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  /** TCP connections accepted: how keep-alive and refusals are observed. */
  connections: number;
}

const servers: ReturnType<typeof createServer>[] = [];
after(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

async function startReceiver(answer: (response: ServerResponse) => void, host = '127.0.0.1'): Promise<Receiver> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = { origin: `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}`, port, requests: [], connections: 0 };
  server.on('connection', () => receiver.connections++);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      receiver.requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      answer(response);
    });
  });
  return receiver;
}

const transports: WebhookTransport[] = [];
after(() => Promise.all(transports.map((transport) => transport.close())));

function transport(options: Partial<WebhookTransportOptions> = {}): WebhookTransport {
  const created = new WebhookTransport({ timeoutMs: 5000, allowLoopback: true, ...options });
  transports.push(created);
  return created;
}

/** A resolver that knows a few made-up names and counts how often it is asked. */
function fakeDns(answers: Record<string, string[]>): { lookup: LookupFunction; calls: string[] } {
  const calls: string[] = [];
  const lookup: LookupFunction = (hostname, _options, callback) => {
    calls.push(hostname);
    const addresses = answers[hostname];
    if (addresses === undefined) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
    else callback(null, addresses.map((address) => ({ address, family: isIP(address) })));
  };
  return { lookup, calls };
}

const event = { headers: { 'webhook-id': 'wd_test' }, body: '{"type":"webhook.test"}' };

describe('an answer from the receiver', () => {
  it('posts the JSON body with its headers and keeps a short answer whole', async () => {
    const receiver = await startReceiver((response) => response.writeHead(200).end('{"ok":true}'));
    const result = await transport({ userAgent: 'PIK-Test/1' }).send({ url: `${receiver.origin}/hooks?x=1`, ...event });
    assert.equal(result.statusCode, 200);
    assert.equal(result.error, null);
    assert.equal(result.responseBody, '{"ok":true}');
    assert.equal(result.retryAfterMs, null);
    assert.ok(Number.isInteger(result.durationMs) && result.durationMs >= 0);
    const [seen] = receiver.requests;
    assert.equal(seen?.method, 'POST');
    assert.equal(seen?.url, '/hooks?x=1');
    assert.equal(seen?.body, event.body);
    assert.equal(seen?.headers['content-type'], 'application/json');
    assert.equal(seen?.headers['user-agent'], 'PIK-Test/1');
    assert.equal(seen?.headers['webhook-id'], 'wd_test');
  });

  it('keeps the first 1 KB of a longer body, never half a character, and no NUL', async () => {
    const long = await startReceiver((response) => response.writeHead(201).end('a\0' + 'b'.repeat(5000)));
    const result = await transport().send({ url: long.origin, ...event });
    assert.equal(result.statusCode, 201);
    assert.equal(result.responseBody, 'a\uFFFD' + 'b'.repeat(1022));

    // 'é' is two bytes: the 1 KB mark falls inside the 512th.
    const accented = await startReceiver((response) => response.writeHead(200).end('x' + 'é'.repeat(600)));
    const cut = await transport().send({ url: accented.origin, ...event });
    assert.equal(cut.responseBody, 'x' + 'é'.repeat(511));
  });

  it('reads Retry-After as delay-seconds or as an HTTP date', async () => {
    const seconds = await startReceiver((response) => response.writeHead(500, { 'retry-after': '120' }).end('busy'));
    const inSeconds = await transport().send({ url: seconds.origin, ...event });
    assert.deepEqual([inSeconds.statusCode, inSeconds.error, inSeconds.responseBody, inSeconds.retryAfterMs], [500, null, 'busy', 120_000]);

    const date = await startReceiver((response) => response.writeHead(503, { 'retry-after': new Date(Date.now() + 60_000).toUTCString() }).end());
    const byDate = await transport().send({ url: date.origin, ...event });
    assert.equal(byDate.statusCode, 503);
    assert.equal(byDate.responseBody, '');
    // An HTTP date has whole seconds, and the answer took a moment to read.
    assert.ok(byDate.retryAfterMs !== null && byDate.retryAfterMs > 57_000 && byDate.retryAfterMs <= 60_000, String(byDate.retryAfterMs));
  });

  it('does not follow a redirect', async () => {
    const receiver = await startReceiver((response) => response.writeHead(302, { location: '/elsewhere' }).end());
    const result = await transport().send({ url: `${receiver.origin}/hooks`, ...event });
    assert.equal(result.statusCode, 302);
    assert.equal(result.error, null);
    assert.deepEqual(receiver.requests.map((request) => request.url), ['/hooks']);
    assert.equal(receiver.requests[0]?.headers['user-agent'], 'PIK-Webhooks/1.0');
  });
});

describe('Retry-After values', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const table: [string | undefined, number | null][] = [
    [undefined, null],
    ['0', 0],
    [' 30 ', 30_000],
    ['Thu, 01 Jan 2026 00:02:00 GMT', 120_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['-5', null],
    ['1.5', null],
    ['2027-01-01', null],
    ['soon', null],
    ['9'.repeat(400), null],
  ];
  for (const [value, expected] of table) {
    it(`${JSON.stringify(value)} → ${expected}`, () => assert.equal(parseRetryAfter(value, now), expected));
  }
});

describe('no answer from the receiver', () => {
  // These receivers answer a first delivery, so the timed one travels over a warm connection and a busy test machine
  // does not eat the 300 ms before the request is even sent.
  it('gives up when the receiver never answers, within the timeout', async () => {
    const receiver = await startReceiver((response) => receiver.requests.length === 1 && response.writeHead(200).end());
    const quick = transport({ timeoutMs: 300 });
    assert.equal((await quick.send({ url: receiver.origin, ...event })).statusCode, 200);
    const started = performance.now();
    const result = await quick.send({ url: receiver.origin, ...event });
    const elapsed = performance.now() - started;
    assert.deepEqual([result.statusCode, result.error, result.responseBody], [null, 'timed out after 300 ms', null]);
    assert.ok(elapsed >= 290 && elapsed < 1000, `took ${elapsed} ms`);
    assert.ok(result.durationMs >= 290 && result.durationMs < 1000, `reported ${result.durationMs} ms`);
    assert.equal(receiver.requests.length, 2);
  });

  it('bounds a body that stalls after the status, keeping the answer', async () => {
    const receiver = await startReceiver((response) => {
      response.writeHead(200);
      if (receiver.requests.length === 1) response.end();
      else response.write('partial');
    });
    const quick = transport({ timeoutMs: 300 });
    assert.equal((await quick.send({ url: receiver.origin, ...event })).statusCode, 200);
    const started = performance.now();
    const result = await quick.send({ url: receiver.origin, ...event });
    assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms`);
    assert.deepEqual([result.statusCode, result.error, result.responseBody], [200, null, 'partial']);
  });

  it('bounds a DNS lookup that never answers, and closing does not wait for the connection it abandoned', async () => {
    const started = performance.now();
    const silent = transport({ timeoutMs: 300, lookup: () => {} });
    const result = await silent.send({ url: 'http://silent.test/', ...event });
    assert.equal(result.error, 'timed out after 300 ms');
    assert.ok(performance.now() - started < 650, `took ${performance.now() - started} ms`);
    // undici still holds the connection waiting for the lookup, with a timer that does not keep the process alive:
    // a close that waited for it could leave a stop (or this file's after hook) pending on an empty event loop.
    const closing = performance.now();
    await silent.close();
    assert.ok(performance.now() - closing < 100, `close took ${performance.now() - closing} ms`);
  });

  it('closing waits for an attempt under way', async () => {
    const receiver = await startReceiver((response) => setTimeout(() => response.writeHead(200).end(), 50));
    const closing = transport();
    const pending = closing.send({ url: receiver.origin, ...event });
    await new Promise((resolve) => setTimeout(resolve, 10));
    await closing.close();
    assert.equal((await pending).statusCode, 200);
  });

  it('reports a refused connection', async () => {
    const receiver = await startReceiver(() => {});
    const server = servers.at(-1);
    await new Promise((resolve) => server?.close(resolve));
    const result = await transport().send({ url: receiver.origin, ...event });
    assert.deepEqual([result.statusCode, result.error, result.responseBody], [null, 'connection refused', null]);
  });

  it('reports a failed TLS handshake', async () => {
    const plain = await startReceiver((response) => response.writeHead(200).end());
    const result = await transport().send({ url: `https://127.0.0.1:${plain.port}/`, ...event });
    assert.deepEqual([result.statusCode, result.error], [null, 'TLS error: wrong version number']);
  });

  it('reports a URL it cannot send to', async () => {
    assert.equal((await transport().send({ url: 'not a url', ...event })).error, 'invalid URL');
    assert.match((await transport().send({ url: 'ftp://files.example.com/', ...event })).error ?? '', /^invalid request: Invalid URL protocol/);
  });

  it('reports a name that does not resolve', async () => {
    const result = await transport({ lookup: fakeDns({}).lookup }).send({ url: 'https://nowhere.test/', ...event });
    assert.equal(result.error, 'DNS lookup failed: host not found');
  });
});

describe('connections', () => {
  it('carries sequential deliveries to one receiver over one kept-alive connection', async () => {
    const receiver = await startReceiver((response) => response.writeHead(204).end());
    const shared = transport();
    for (let i = 0; i < 5; i++) assert.equal((await shared.send({ url: receiver.origin, ...event })).statusCode, 204);
    assert.equal(receiver.requests.length, 5);
    assert.equal(receiver.connections, 1);
  });

  it('drains a body a little over 1 KB, so the connection is kept', async () => {
    // In pieces, so the rest of the body is still to come when the first 1 KB is in.
    const receiver = await startReceiver((response) => {
      response.writeHead(200).write('z'.repeat(1500));
      setTimeout(() => response.end('z'.repeat(1500)), 20);
    });
    const shared = transport();
    for (let i = 0; i < 2; i++) assert.equal((await shared.send({ url: receiver.origin, ...event })).responseBody?.length, 1024);
    assert.equal(receiver.connections, 1);
  });

  it('cuts off a body that does not end rather than reading on', async () => {
    const receiver = await startReceiver((response) => {
      response.writeHead(200);
      response.write('y'.repeat(256 * 1024));
    });
    const started = performance.now();
    const result = await transport({ timeoutMs: 2000 }).send({ url: receiver.origin, ...event });
    assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms`);
    assert.deepEqual([result.statusCode, result.error, result.responseBody], [200, null, 'y'.repeat(1024)]);
  });

  it('opens no more connections to one origin than allowed', async () => {
    const receiver = await startReceiver((response) => setTimeout(() => response.writeHead(200).end(), 30));
    const bounded = transport({ connections: 2 });
    const results = await Promise.all(Array.from({ length: 6 }, () => bounded.send({ url: receiver.origin, ...event })));
    assert.deepEqual(results.map((result) => result.statusCode), Array(6).fill(200));
    assert.equal(receiver.connections, 2);
  });
});

describe('addresses a delivery may not reach', () => {
  it('refuses every spelling of loopback in production, before connecting', async () => {
    const v4 = await startReceiver(() => {});
    const v6 = await startReceiver(() => {}, '::1');
    const production = transport({ allowLoopback: false });
    const cases: [string, string][] = [
      [`http://127.0.0.1:${v4.port}/`, 'address refused: 127.0.0.1 is a loopback address'],
      [`http://localhost:${v4.port}/`, 'address refused: 127.0.0.1 is a loopback address'],
      [`http://[::1]:${v6.port}/`, 'address refused: ::1 is a loopback address'],
      [`http://[::ffff:127.0.0.1]:${v4.port}/`, 'address refused: ::ffff:7f00:1 is a loopback address, inside an IPv6 address'],
    ];
    for (const [url, error] of cases) {
      assert.deepEqual(await production.send({ url, ...event }).then((r) => [r.statusCode, r.error, r.responseBody]), [null, error, null], url);
    }
    assert.equal(v4.connections + v6.connections, 0);
  });

  it('checks what a host name resolves to, and connects to exactly that address, resolving it once', async () => {
    // Only 127.0.0.2 listens: a second, ordinary resolution of the made-up name could not reach it.
    const receiver = await startReceiver((response) => response.writeHead(200).end(), '127.0.0.2');
    const url = `http://receiver.test:${receiver.port}/hooks`;

    const production = fakeDns({ 'receiver.test': ['127.0.0.2'] });
    const refused = await transport({ allowLoopback: false, lookup: production.lookup }).send({ url, ...event });
    assert.equal(refused.error, 'address refused: 127.0.0.2 is a loopback address');
    assert.deepEqual(production.calls, ['receiver.test']);
    assert.equal(receiver.connections, 0);

    const sandbox = fakeDns({ 'receiver.test': ['127.0.0.2'] });
    const allowed = transport({ allowLoopback: true, lookup: sandbox.lookup });
    for (let i = 0; i < 3; i++) assert.equal((await allowed.send({ url, ...event })).statusCode, 200);
    assert.deepEqual(sandbox.calls, ['receiver.test'], 'one lookup for the one connection');
    assert.equal(receiver.connections, 1);
    assert.deepEqual(receiver.requests.map((request) => request.headers.host), Array(3).fill(`receiver.test:${receiver.port}`));
  });

  it('refuses a name when any of its addresses is private', async () => {
    const receiver = await startReceiver(() => {});
    const dns = fakeDns({ 'mixed.test': ['127.0.0.1', '10.0.0.7'], 'public.test': ['93.184.215.14', '2606:4700::1', 'fd00::1'] });
    const sandbox = transport({ allowLoopback: true, lookup: dns.lookup });
    assert.equal((await sandbox.send({ url: `http://mixed.test:${receiver.port}/`, ...event })).error, 'address refused: 10.0.0.7 is a private address');
    assert.equal((await sandbox.send({ url: 'https://public.test/', ...event })).error, 'address refused: fd00::1 is a unique local (private) address');
    assert.equal(receiver.connections, 0);
  });

  it('refuses private and metadata addresses even where loopback is allowed', async () => {
    const dns = fakeDns({ 'metadata.test': ['169.254.169.254'] });
    const sandbox = transport({ allowLoopback: true, lookup: dns.lookup });
    const cases: [string, string][] = [
      ['http://10.1.2.3/', 'address refused: 10.1.2.3 is a private address'],
      ['http://169.254.169.254/latest/meta-data/', 'address refused: 169.254.169.254 is a link-local address (cloud metadata services live here)'],
      ['http://metadata.test/', 'address refused: 169.254.169.254 is a link-local address (cloud metadata services live here)'],
      ['https://[fe80::1]/', 'address refused: fe80::1 is a link-local address'],
      // The exception is for plain loopback; registration refuses this spelling of it too.
      ['http://[::ffff:127.0.0.1]/', 'address refused: ::ffff:7f00:1 is a loopback address, inside an IPv6 address'],
    ];
    for (const [url, error] of cases) assert.equal((await sandbox.send({ url, ...event })).error, error, url);
  });
});
