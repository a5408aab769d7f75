// Every wait bounded (issue 17, part 4): a body that arrives too slowly is answered 408 in our shape within the request
// timeout, and SIGTERM stops the server within its grace period however its connections behave — an idle keep-alive
// closed at once, a request in flight allowed to finish, a stalled body cut at the end of the grace — with the
// buffered "last used" times and request log written before it exits 0.
// pik-test: engine-independent — Node's HTTP timeouts and the process's shutdown; the buffers flushed are plain inserts and updates tested on both engines elsewhere
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openPglite } from '../src/db/database.ts';
import { startTestApp, testOperatorToken } from './support/context.ts';
import { callJsonOk } from './support/http-client.ts';
import { seedPikDataDir } from './support/pglite-template.ts';
import { startServerProcess } from './support/server-process.ts';

interface RawConnection {
  socket: net.Socket;
  received: () => string;
  closedAt: Promise<number>;
}

function connect(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    const closedAt = new Promise<number>((done) => socket.once('close', () => done(Date.now())));
    socket.once('connect', () => resolve({ socket, received: () => received, closedAt }));
    socket.once('error', reject);
  });
}

describe('request timeout (PIK_REQUEST_TIMEOUT_MS)', () => {
  it('a body sent one byte at a time is answered 408 REQUEST_TIMEOUT in our shape, within the timeout and a check interval', async () => {
    const timeoutMs = 600;
    const ctx = await startTestApp({ requestTimeoutMs: timeoutMs });
    try {
      await ctx.app.listen({ port: 0, host: '127.0.0.1' });
      const port = (ctx.app.server.address() as AddressInfo).port;
      const connection = await connect(port);
      const started = Date.now();
      connection.socket.write(`POST /admin/v1/platforms HTTP/1.1\r\nHost: pik.test\r\nAuthorization: Bearer ${ctx.operatorToken}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{`);
      const drip = setInterval(() => connection.socket.writable && connection.socket.write(' '), 100);
      const closedAt = await connection.closedAt;
      clearInterval(drip);
      const elapsed = closedAt - started;
      const text = connection.received();
      assert.match(text, /^HTTP\/1\.1 408 /, text);
      const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { error: { code: string; request_id: string } };
      assert.equal(body.error.code, 'REQUEST_TIMEOUT');
      assert.match(body.error.request_id, /^req_/);
      // Node checks its connections every tenth of the timeout here (at least 50 ms): the answer comes within ~1.1×.
      assert.ok(elapsed >= timeoutMs - 50, `not before the timeout (${elapsed} ms)`);
      assert.ok(elapsed < timeoutMs * 2, `within the timeout and a check interval, not Node's 300 s (${elapsed} ms)`);
    } finally {
      await ctx.close();
    }
  });
});

describe('SIGTERM with an idle, a busy and a stalled connection (a real server process on PGlite)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-shutdown-'));
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('exits 0 within the grace period; the request in flight is answered; last-used times and the request log are written', async () => {
    await seedPikDataDir(dataDir);
    const graceMs = 1500;
    const server = await startServerProcess(
      // Usage flushed only at the stop (every 60 s otherwise), and no request timeout to cut the stalled body first.
      { PIK_DATA_DIR: dataDir, PIK_OPERATOR_TOKEN: testOperatorToken, PIK_RATE_LIMIT: 'off', PIK_SHUTDOWN_GRACE_MS: String(graceMs), PIK_KEY_USAGE_FLUSH_SECONDS: '60', PIK_REQUEST_TIMEOUT_MS: '60000' },
      120_000,
    );
    const port = Number(new URL(server.url).port);
    const platform = await callJsonOk(server.url, 'POST', '/admin/v1/platforms', testOperatorToken, { name: 'Stop Co', owner_email: 'stop@example.test', owner_password: 'correct horse battery staple' });
    const key = await callJsonOk(server.url, 'POST', `/admin/v1/platforms/${platform.id}/keys`, testOperatorToken, { environment: 'sandbox' });
    for (let i = 0; i < 3; i++) await callJsonOk(server.url, 'GET', '/api/v1/accounts', key.secret);

    // Idle: one request answered, the connection kept alive.
    const idle = await connect(port);
    idle.socket.write('GET /health HTTP/1.1\r\nHost: pik.test\r\n\r\n');
    while (!idle.received().includes('"ok"')) await sleep(20);
    // Stalled: a body that will never be finished.
    const stalled = await connect(port);
    stalled.socket.write(`POST /api/v1/accounts HTTP/1.1\r\nHost: pik.test\r\nAuthorization: Bearer ${key.secret}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"customer_type":`);
    // Busy: a body finished after the signal, within the grace period.
    const busy = await connect(port);
    const body = JSON.stringify({ customer_type: 'individual', email: 'late@example.test', country: 'AU' });
    busy.socket.write(`POST /api/v1/accounts HTTP/1.1\r\nHost: pik.test\r\nAuthorization: Bearer ${key.secret}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`);
    await sleep(200);

    const signalledAt = Date.now();
    const exited = server.stop('SIGTERM');
    await sleep(300);
    busy.socket.write(body.slice(10));
    const code = await exited;
    const exitedAt = Date.now();

    assert.equal(code, 0, server.output());
    assert.ok(exitedAt - signalledAt < graceMs + 3000, `exited ${exitedAt - signalledAt} ms after SIGTERM (grace ${graceMs} ms)`);
    assert.ok(exitedAt - signalledAt >= graceMs - 100, 'the stalled connection was given the grace period');
    assert.ok((await idle.closedAt) - signalledAt < graceMs, 'the idle connection was closed at once, not after the grace');
    assert.match(busy.received(), /^HTTP\/1\.1 201 /, `the request in flight was answered: ${busy.received()}`);
    assert.equal(stalled.received(), '', 'the stalled request got no answer: its connection was closed');
    await stalled.closedAt;

    // Nothing buffered was lost: the key's last use and every request (the late one too) are in the database.
    const db = await openPglite({ dataDir: path.join(dataDir, 'pgdata') });
    try {
      const row = await db.core.selectFrom('core.api_keys').select(['last_used_at']).where('id', '=', key.id).executeTakeFirstOrThrow();
      assert.ok(row.last_used_at, 'last_used_at was written at shutdown');
      const logged = await sql<{ n: string }>`select coalesce(sum(entry_count), 0)::text as n from sandbox.request_log_segments where platform_id = ${platform.id}`.execute(db.core);
      assert.equal(Number(logged.rows[0]?.n), 4, 'three reads and the late create are in the request log');
    } finally {
      await db.close();
    }
  });
});
