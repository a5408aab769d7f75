// The one place PIK makes an HTTP request to a webhook receiver (issue 10): a POST over keep-alive connections that
// only ever open to addresses checked at connect time, bounded by one timeout, summed up as the result of one attempt.
import dns, { type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
// undici (a megabyte of JavaScript) is loaded with the first delivery, not with the server: most starts deliver nothing
// for a while, and parsing it was some 50 ms of each.
import type { Agent, buildConnector } from 'undici';

type Undici = typeof import('undici');
import { addressProblem } from '../../lib/webhook-urls.ts';

export interface WebhookTransportOptions {
  /** The whole attempt: waiting for a connection, connecting, the answer's headers and the part of its body we keep. */
  timeoutMs: number;
  /** The sandbox exception (PIK_WEBHOOK_ALLOW_LOOPBACK=sandbox): 127.0.0.0/8 and ::1 may be called; nothing else private. */
  allowLoopback: boolean;
  /** Resolves host names, `dns.lookup` by default; called with `all: true`, once per new connection. */
  lookup?: LookupFunction;
  userAgent?: string;
  /** Connections kept open per receiver origin (scheme, host, port); further deliveries to it wait for one. */
  connections?: number;
}

export interface WebhookRequest {
  url: string;
  /** Lower-case names: the signature headers. `content-type` and `user-agent` are the transport's own. */
  headers: Record<string, string>;
  body: string;
}

export interface AttemptResult {
  /** The receiver's HTTP status (a 3xx is not followed), or null when no answer came back. */
  statusCode: number | null;
  durationMs: number;
  /** Why no answer came back, in a few words; null whenever there is a status code. */
  error: string | null;
  /** The start of the answer's body, at most 1 KB of it as UTF-8; null when no answer came back. */
  responseBody: string | null;
  /** The receiver's `Retry-After`, in milliseconds from now; null when absent or unreadable. */
  retryAfterMs: number | null;
}

const keptBodyBytes = 1024;
/**
 * How much of a longer body is read and thrown away so the connection can carry the next delivery. Past this, closing
 * the connection is cheaper than reading on.
 */
const drainedBodyBytes = 64 * 1024;

/** The loopback the sandbox exception means: 127.0.0.0/8 and ::1, not IPv6 spellings of 127.x (registration refuses those too). */
const loopbackV4 = new BlockList();
loopbackV4.addSubnet('127.0.0.0', 8, 'ipv4');
const loopbackV6 = new BlockList();
loopbackV6.addAddress('::1', 'ipv6');

/** A connection that was not opened because its address may not be called; its message is the attempt's error. */
class AddressRefusedError extends Error {}

export class WebhookTransport {
  #client: Promise<{ agent: Agent; request: Undici['request'] }> | undefined;
  /** Attempts whose send() has not returned yet. */
  readonly #sending = new Set<Promise<AttemptResult>>();
  readonly #connections: number;
  readonly #timeoutMs: number;
  readonly #allowLoopback: boolean;
  readonly #lookup: LookupFunction;
  readonly #userAgent: string;

  constructor(options: WebhookTransportOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#allowLoopback = options.allowLoopback;
    this.#lookup = options.lookup ?? ((hostname, lookup, callback) => dns.lookup(hostname, { ...lookup, all: true }, callback));
    this.#userAgent = options.userAgent ?? 'PIK-Webhooks/1.0';
    this.#connections = options.connections ?? 16;
  }

  /** The keep-alive agent, made with the first delivery. */
  #clientOnce(): Promise<{ agent: Agent; request: Undici['request'] }> {
    if (this.#client === undefined) {
      const loading = import('undici').then((undici) => ({
        agent: new undici.Agent({ connections: this.#connections, connect: this.#guardedConnector(undici.buildConnector) }),
        request: undici.request,
      }));
      // A failed load is not kept: the next delivery tries again.
      loading.catch(() => {
        if (this.#client === loading) this.#client = undefined;
      });
      this.#client = loading;
    }
    return this.#client;
  }

  /** One delivery attempt. Never throws for anything the receiver or the network does: that is in the result. */
  send(delivery: WebhookRequest): Promise<AttemptResult> {
    const attempt = this.#attempt(delivery);
    this.#sending.add(attempt);
    // Forgotten either way; a finally() chain would be a second promise that rejects unheard if the attempt ever did.
    const forget = (): void => void this.#sending.delete(attempt);
    attempt.then(forget, forget);
    return attempt;
  }

  async #attempt(delivery: WebhookRequest): Promise<AttemptResult> {
    const startedAt = performance.now();
    // A timer of our own, cleared when the attempt ends: an AbortSignal.timeout with a listener still attached keeps
    // the process alive, and what the attempt held, until it fires.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.#timeoutMs);
    let outcome: Partial<AttemptResult>;
    try {
      outcome = await this.#exchange(delivery, deadline.signal);
    } finally {
      clearTimeout(timer);
    }
    const durationMs = Math.round(performance.now() - startedAt);
    const result: AttemptResult = { statusCode: null, error: null, responseBody: null, retryAfterMs: null, ...outcome, durationMs };
    // undici frees a kept-alive connection in a setImmediate after the answer ends; a delivery sent before that would
    // open a second connection to the same receiver. Waiting one turn lets the next delivery reuse this one.
    await new Promise((resolve) => setImmediate(resolve));
    return result;
  }

  /**
   * Waits for the attempts under way (each ends by its deadline), then closes every connection. What undici still holds
   * then belongs to attempts that already gave up — a connection still waiting for a lookup that never answers — and is
   * dropped, not waited for: undici's own timer for it does not keep the process alive, so waiting could hang a stop.
   */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#sending]);
    if (this.#client) await (await this.#client).agent.destroy();
  }

  async #exchange(delivery: WebhookRequest, deadline: AbortSignal): Promise<Partial<AttemptResult>> {
    let response: Awaited<ReturnType<Undici['request']>>;
    try {
      const { agent, request } = await this.#clientOnce();
      const answer = request(delivery.url, {
        dispatcher: agent,
        method: 'POST',
        headers: { ...delivery.headers, 'content-type': 'application/json', 'user-agent': this.#userAgent },
        body: delivery.body,
        signal: deadline,
      });
      // The signal ends a request once it has a connection; one still waiting for its connection (a slow lookup, a
      // busy pool) would only end at undici's coarse connect timeout, so the deadline is raced too.
      response = await Promise.race([answer, rejectAt(deadline)]);
    } catch (error) {
      return { error: deadline.aborted ? `timed out after ${this.#timeoutMs} ms` : describeFailure(error, this.#timeoutMs) };
    }
    const retryAfter = response.headers['retry-after'];
    return {
      statusCode: response.statusCode,
      responseBody: await readBodyStart(response.body),
      retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now()),
    };
  }

  /**
   * Every socket the agent opens passes here. A host given as an IP address is judged before connecting (net.connect
   * never looks an IP address up); a host name is judged inside the lookup net.connect calls, which hands back only
   * addresses that passed, so the socket connects to what was checked and nothing resolves the name a second time
   * (DNS rebinding gains nothing). A kept-alive connection stays bound to the address checked when it was opened.
   */
  #guardedConnector(buildConnector: Undici['buildConnector']): buildConnector.connector {
    const connect = buildConnector({
      timeout: this.#timeoutMs,
      lookup: (hostname, options, callback) => this.#checkedLookup(hostname, options, callback),
    });
    return (target, callback) => {
      const refusal = isIP(target.hostname) === 0 ? undefined : this.#refusal(target.hostname);
      if (refusal) callback(refusal, null);
      else connect(target, callback);
    };
  }

  #checkedLookup(...[hostname, options, callback]: Parameters<LookupFunction>): void {
    this.#lookup(hostname, { ...options, all: true }, (error, found, family) => {
      if (error) return callback(error, '');
      const addresses: LookupAddress[] = typeof found === 'string' ? [{ address: found, family: family ?? isIP(found) }] : found;
      const first = addresses[0];
      if (first === undefined) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      // Every address, not only the one that would be tried first: with several, net.connect may fall back to any.
      for (const { address } of addresses) {
        const refusal = this.#refusal(address);
        if (refusal) return callback(refusal, '');
      }
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  }

  #refusal(address: string): AddressRefusedError | undefined {
    if (this.#allowLoopback && isLoopback(address)) return undefined;
    const problem = addressProblem(address);
    return problem && new AddressRefusedError(`address refused: ${address} is ${problem.reason}`);
  }
}

function rejectAt(deadline: AbortSignal): Promise<never> {
  return new Promise((_, reject) => deadline.addEventListener('abort', () => reject(deadline.reason), { once: true }));
}

function isLoopback(address: string): boolean {
  return isIP(address) === 4 ? loopbackV4.check(address, 'ipv4') : loopbackV6.check(address, 'ipv6');
}

/**
 * Milliseconds from `nowMs` that a `Retry-After` value asks for: delay-seconds or an HTTP date (a past date is 0).
 * Null when absent or unreadable. How much of it to honour is the caller's decision.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const delayMs = Number(text) * 1000;
    return Number.isSafeInteger(delayMs) ? delayMs : null;
  }
  // Date.parse reads bare numbers ("-5", "2024") as dates; an HTTP date always names its month.
  if (!/[a-z]/i.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/**
 * The first 1 KB of a body as text. Up to `drainedBodyBytes` more are read and dropped so the connection can be kept;
 * a longer body is cut off, which closes the connection. A body the deadline or the network cuts short still counts:
 * the status code already came back.
 */
async function readBodyStart(body: AsyncIterable<Buffer>): Promise<string> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let readBytes = 0;
  try {
    for await (const chunk of body) {
      if (keptBytes < keptBodyBytes) {
        const piece = chunk.subarray(0, keptBodyBytes - keptBytes);
        kept.push(piece);
        keptBytes += piece.length;
      }
      readBytes += chunk.length;
      if (readBytes > keptBodyBytes + drainedBodyBytes) break; // leaving the loop destroys the body and its connection
    }
  } catch {
    // cut short: what was read stands
  }
  // `stream` drops a character cut in half at the 1 KB mark rather than ending on U+FFFD. PostgreSQL text cannot hold
  // U+0000, and the body is stored as an attempt's response_body.
  return new TextDecoder().decode(Buffer.concat(kept), { stream: readBytes > keptBytes }).replaceAll('\0', '\uFFFD');
}

/** A few words for a request that got no answer, from the Node, OpenSSL or undici error code. */
function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof AddressRefusedError) return error.message;
  const fields: { code?: unknown; reason?: unknown } = typeof error === 'object' && error !== null ? error : {};
  const code = typeof fields.code === 'string' ? fields.code : '';
  const reason = typeof fields.reason === 'string' ? fields.reason : undefined;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset by the receiver';
    case 'UND_ERR_SOCKET':
      return 'connection closed before an answer';
    case 'ENOTFOUND':
      return 'DNS lookup failed: host not found';
    case 'EAI_AGAIN':
      return 'DNS lookup failed: temporary failure';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `timed out after ${timeoutMs} ms`;
    case 'UND_ERR_HEADERS_OVERFLOW':
      return 'response headers too large';
    case 'ERR_INVALID_URL':
      return 'invalid URL';
    case 'UND_ERR_INVALID_ARG':
      return `invalid request: ${message}`;
  }
  if (code.startsWith('HPE_')) return 'invalid HTTP response';
  // OpenSSL's own failures carry a short `reason` beside a message full of source locations; certificate ones do not.
  const isTls = code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || /CERT|SIGNATURE|UNABLE_TO_(GET|VERIFY)/.test(code);
  if (isTls) return `TLS error: ${reason ?? message}`;
  return message === '' ? 'request failed' : message;
}
