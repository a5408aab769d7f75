// Errors raised below our handlers, over a raw socket: Node's HTTP parser (a bad request line, header or chunk, headers
// over 16 KB), its timeouts, an unsupported Expect, a missing Host, Fastify's routing, body limits and parsing, and
// shutdown. Each answer is in our shape with an x-request-id, and nothing logs a stack.
// pik-test: engine-independent — errors from Node's HTTP parser and Fastify's routing, raised before any handler runs
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestPlatform, startTestApp, type TestContext } from './support/context.ts';

let ctx: TestContext;
let port: number;
let key: string;

before(async () => {
  ctx = await startTestApp({ bodyLimitBytes: 4096 });
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  port = (ctx.app.server.address() as AddressInfo).port;
  key = (await createTestPlatform(ctx)).keys.sandbox;
});
after(() => ctx.close());

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- asserted on as JSON
  text: string;
}

/** Writes `parts` to a fresh connection (`pauseMs` apart), then reads until the server closes it or `readMs` pass. */
function exchange(toPort: number, parts: (string | Buffer)[], options: { pauseMs?: number; readMs?: number; endAfter?: boolean } = {}): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(toPort, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => socket.destroy(), options.readMs ?? 2000);
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    const queue = [...parts];
    const writeNext = (): void => {
      const part = queue.shift();
      if (part === undefined) {
        if (options.endAfter) socket.end();
        return;
      }
      socket.write(part);
      setTimeout(writeNext, options.pauseMs ?? 0);
    };
    socket.on('connect', writeNext);
  });
}

/** The first response in `text`. */
function parse(text: string): RawResponse {
  const headEnd = text.indexOf('\r\n\r\n');
  assert.ok(headEnd > 0, `no response head in ${JSON.stringify(text.slice(0, 300))}`);
  const [statusLine, ...lines] = text.slice(0, headEnd).split('\r\n');
  const headers = new Map(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const length = Number(headers.get('content-length'));
  const bodyText = text.slice(headEnd + 4, headEnd + 4 + length);
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  return { status: Number(statusLine?.split(' ')[1]), headers, body, text };
}

function assertOurs(response: RawResponse, status: number, code: string, label = ''): void {
  assert.equal(response.status, status, `${label} ${response.text.slice(0, 400)}`);
  assert.equal(response.body?.error?.code, code, `${label} ${response.text.slice(0, 400)}`);
  assert.equal(typeof response.body.error.message, 'string');
  assert.match(response.headers.get('x-request-id') ?? '', /^req_/, `${label}: x-request-id`);
  assert.equal(response.body.error.request_id, response.headers.get('x-request-id'), label);
  assert.equal(response.body.error.doc_url, `/docs/errors#${code.toLowerCase()}`, label); // also below Fastify
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/, label);
}

const send = async (request: string | (string | Buffer)[], options?: { pauseMs?: number; readMs?: number; endAfter?: boolean }): Promise<RawResponse> =>
  parse(await exchange(port, Array.isArray(request) ? request : [request], options));

const post = (path: string, headers: string, body: string): string => `POST ${path} HTTP/1.1\r\nHost: pik.test\r\nAuthorization: Bearer ${key}\r\n${headers}\r\n${body}`;

describe("Node's HTTP parser", () => {
  it('431 HEADERS_TOO_LARGE for headers over 16 KB, or a URL that long', async () => {
    assertOurs(await send(`GET /health HTTP/1.1\r\nHost: pik.test\r\nX-Big: ${'a'.repeat(17_000)}\r\n\r\n`), 431, 'HEADERS_TOO_LARGE');
    assertOurs(await send(`GET /api/v1/accounts?q=${'a'.repeat(17_000)} HTTP/1.1\r\nHost: pik.test\r\n\r\n`), 431, 'HEADERS_TOO_LARGE');
  });

  it('400 INVALID_REQUEST naming the parser error for a malformed request line, header, length or chunk', async () => {
    const cases: Record<string, string> = {
      'request line': 'GARBAGE\r\n\r\n',
      method: 'FO@O / HTTP/1.1\r\nHost: pik.test\r\n\r\n',
      'header name': 'GET /health HTTP/1.1\r\nHost: pik.test\r\nBad Header: y\r\n\r\n',
      'header value': 'GET /health HTTP/1.1\r\nHost: pik.test\r\nX-Thing: a\x01b\r\n\r\n',
      'content length': post('/api/v1/accounts', 'Content-Type: application/json\r\nContent-Length: abc\r\n', '{}'),
      'content length and chunked': post('/api/v1/accounts', 'Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n', '2\r\n{}\r\n0\r\n\r\n'),
      'chunk size': post('/api/v1/accounts', 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n', 'ZZ\r\nabc\r\n0\r\n\r\n'),
    };
    for (const [name, request] of Object.entries(cases)) {
      const response = await send(request);
      assertOurs(response, 400, 'INVALID_REQUEST', name);
      assert.match(String(response.body.error.detail?.reason), /^HPE_/, name);
      assert.equal(response.headers.get('connection'), 'close', name);
    }
  });

  it('400 INVALID_REQUEST for an HTTP/1.1 request without Host (HTTP/1.0 needs none)', async () => {
    const response = await send('GET /health HTTP/1.1\r\n\r\n');
    assertOurs(response, 400, 'INVALID_REQUEST');
    assert.equal(response.body.error.detail.field, 'host');
    assert.equal(response.headers.get('connection'), 'close');
    assert.equal((await send('GET /health HTTP/1.0\r\n\r\n')).status, 200);
  });

  it('417 EXPECTATION_FAILED for an Expect other than 100-continue', async () => {
    assertOurs(await send(post('/api/v1/accounts', 'Content-Type: application/json\r\nContent-Length: 2\r\nExpect: something-else\r\n', '{}')), 417, 'EXPECTATION_FAILED');
  });

  it('a body shorter than its Content-Length, then the end of the stream: 400 in our shape', async () => {
    const response = await send([post('/api/v1/accounts', 'Content-Type: application/json\r\nContent-Length: 50\r\n', '{"customer_type":')], { endAfter: true });
    assertOurs(response, 400, 'INVALID_REQUEST');
  });
});

describe('Fastify: routing, bodies', () => {
  it('404, 405, a broken URL, a path parameter over 100 characters', async () => {
    assertOurs(await send('GET /nothing HTTP/1.1\r\nHost: pik.test\r\nConnection: close\r\n\r\n'), 404, 'ROUTE_NOT_FOUND');
    const notAllowed = await send(`DELETE /api/v1/account HTTP/1.1\r\nHost: pik.test\r\nAuthorization: Bearer ${key}\r\nConnection: close\r\n\r\n`);
    assertOurs(notAllowed, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(notAllowed.headers.get('allow'), 'GET');
    assertOurs(await send('GET /api/v1/accounts/%E0%A4%A HTTP/1.1\r\nHost: pik.test\r\nConnection: close\r\n\r\n'), 400, 'INVALID_REQUEST');
    const long = await send(`GET /api/v1/accounts/${'a'.repeat(150)} HTTP/1.1\r\nHost: pik.test\r\nConnection: close\r\n\r\n`);
    assertOurs(long, 400, 'INVALID_REQUEST');
    assert.match(long.body.error.message, /longer than 100 characters/);
  });

  it('413 for a body over the limit, declared or chunked; 415 for another media type; 400 INVALID_JSON', async () => {
    const big = JSON.stringify({ padding: 'x'.repeat(5000) });
    assertOurs(await send(post('/api/v1/accounts', `Content-Type: application/json\r\nContent-Length: ${big.length}\r\nConnection: close\r\n`, big)), 413, 'BODY_TOO_LARGE');
    const chunked = `${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`;
    assertOurs(await send(post('/api/v1/accounts', 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n', chunked)), 413, 'BODY_TOO_LARGE');
    assertOurs(await send(post('/api/v1/accounts', 'Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n', 'hi')), 415, 'UNSUPPORTED_MEDIA_TYPE');
    assertOurs(await send(post('/api/v1/accounts', 'Content-Type: application/json\r\nContent-Length: 1\r\nConnection: close\r\n', '{')), 400, 'INVALID_JSON');
  });

  it('a request aborted mid-body is dropped quietly (nobody to answer)', async () => {
    const text = await exchange(port, [post('/api/v1/accounts', 'Content-Type: application/json\r\nContent-Length: 100\r\n', '{"a":')], { readMs: 200 });
    assert.equal(text, '');
    await new Promise((resolve) => setTimeout(resolve, 200));
  });

  it('logged no stack and no error on the way', () => {
    const bad = ctx.logLines.filter((line) => /"level":(50|60)|"stack"|rawPacket/.test(line));
    assert.deepEqual(bad, []);
    assert.ok(ctx.logLines.some((line) => line.includes('"msg":"client error"') && line.includes('HPE_')));
  });
});

describe('timeouts and shutdown (a server of their own)', () => {
  let slow: TestContext;
  let slowPort: number;
  before(async () => {
    slow = await startTestApp();
    // Short timeouts, checked often: Node's defaults (60 s, checked every 30 s) are too long to wait for here.
    Object.assign(slow.app.server, { connectionsCheckingInterval: 50, headersTimeout: 500, requestTimeout: 800 });
    await slow.app.listen({ port: 0, host: '127.0.0.1' });
    slowPort = (slow.app.server.address() as AddressInfo).port;
  });
  let isSlowClosed = false;
  after(async () => {
    if (!isSlowClosed) await slow.app.close();
    await slow.services.close();
    await slow.database.drop();
  });

  it('408 REQUEST_TIMEOUT for headers, or a body, that do not arrive in time', async () => {
    assertOurs(parse(await exchange(slowPort, ['GET /health HTTP/1.1\r\nHost: pik.test\r\n'], { readMs: 3000 })), 408, 'REQUEST_TIMEOUT', 'headers');
    const body = `POST /admin/v1/platforms HTTP/1.1\r\nHost: pik.test\r\nAuthorization: Bearer ${slow.operatorToken}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name":`;
    assertOurs(parse(await exchange(slowPort, [body], { readMs: 3000 })), 408, 'REQUEST_TIMEOUT', 'body');
  });

  it('503 SERVICE_UNAVAILABLE, Connection: close, for a request arriving while the server shuts down', async () => {
    // A request still arriving keeps its connection open through close(); it is routed once close has begun.
    const socket = net.connect(slowPort, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /health HTTP/1.1\r\nHost: pik.test\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = slow.app.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.write('\r\n');
    await new Promise((resolve) => socket.once('close', resolve));
    await closed;
    isSlowClosed = true;
    const response = parse(received);
    assertOurs(response, 503, 'SERVICE_UNAVAILABLE');
    assert.equal(response.headers.get('connection'), 'close');
    assert.deepEqual(slow.logLines.filter((line) => /"level":(50|60)|"stack"/.test(line)), []);
  });
});
