// A webhook receiver on 127.0.0.1 for tests: records every request, answers as the test says (a status, or never).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  /** The path and query the request was sent to: tests tell their endpoints apart by it. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** How to answer the n-th request (from 1): a status (with optional headers), or 'hang' to never answer. */
export type Behaviour = (n: number, request: Received) => { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  behave(behaviour: Behaviour): void;
  /** Requests held unanswered ('hang') whose connection is still open, by path and query. */
  hanging(url?: string): number;
  /** Resolves once `count` requests (all, or those matching) have arrived; rejects after `timeoutMs`. */
  waitFor(count: number, match?: (r: Received) => boolean, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(path = '/hooks'): Promise<Receiver> {
  const received: Received[] = [];
  let behaviour: Behaviour = () => ({ status: 200, body: 'ok' });
  const hung = new Map<http.ServerResponse, string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry: Received = { url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(entry);
      const answer = behaviour(received.length, entry);
      if (answer === 'hang') {
        hung.set(res, entry.url);
        res.on('close', () => hung.delete(res));
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    received,
    behave: (next) => {
      behaviour = next;
    },
    hanging: (url) => [...hung.values()].filter((u) => url === undefined || u === url).length,
    waitFor: async (count, match = () => true, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matching = received.filter(match);
        if (matching.length >= count) return matching;
        if (Date.now() > deadline) throw new Error(`expected ${count} webhook requests, got ${matching.length} in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: async () => {
      for (const res of hung.keys()) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `check` until it returns a value other than undefined; rejects after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'the condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
