// The transport: one request → fetch with the key, the scope header and an Idempotency-Key on every POST; retries with
// exponential backoff and jitter (reusing that key, so a retry can never apply a change twice); a timeout per attempt;
// and the API's error object turned into an error class.
import { ConnectionError, errorClassFor, type PikError, type PikErrorCode, RateLimitError } from './errors.js';

export interface PikOptions {
  /** A secret API key: pik_test_… (sandbox) or pik_live_… (production). */
  apiKey: string;
  /** Where the PIK server is, e.g. "https://pik.example.com" (a trailing /api/v1 is accepted). Default http://localhost:4000. */
  baseUrl?: string;
  /** Retries after a network error, a timeout, 429, 409 IDEMPOTENCY_KEY_IN_USE or 5xx. Default 2. */
  maxRetries?: number;
  /** Per attempt, in milliseconds. Default 60 000. */
  timeoutMs?: number;
  /** The first retry waits about this long, each next one twice as long (with jitter). Default 500. */
  initialRetryDelayMs?: number;
  /** No retry waits longer; a Retry-After beyond it is not waited for (the error is thrown). Default 20 000. */
  maxRetryDelayMs?: number;
  /** Another fetch (a test double, a proxy agent). Default: the global fetch. */
  fetch?: typeof fetch;
  /** Act for this connected account (x-on-behalf-of); see Pik.onBehalfOf. */
  onBehalfOf?: string | undefined;
}

export interface RequestOptions {
  /** Overrides the automatic Idempotency-Key of a POST (and sends one on any other method). */
  idempotencyKey?: string;
  /** Cancels the request (and its retries). */
  signal?: AbortSignal;
  timeoutMs?: number;
  maxRetries?: number;
  headers?: Record<string, string>;
}

/** What came back, besides the body: on every object the SDK returns, as the non-enumerable `lastResponse`. */
export interface ResponseInfo {
  status: number;
  headers: Headers;
  requestId: string | undefined;
  /** The Idempotency-Key sent (the same on every attempt), if any. */
  idempotencyKey: string | undefined;
  /** true when the server answered a stored reply (`idempotent-replayed: true`). */
  replayed: boolean;
  /** How many attempts it took (1 when no retry was needed). */
  attempts: number;
}

type Query = Record<string, string | number | boolean | undefined | null>;

interface Request {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query | undefined;
  body?: unknown;
  options?: RequestOptions | undefined;
}

const version = '0.1.0';

function normalizeBaseUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
}

/** Retry-After as seconds or an HTTP date → milliseconds; undefined when absent or unreadable. */
function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function randomUuid(): string {
  return globalThis.crypto.randomUUID();
}

export class Transport {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly onBehalfOf: string | undefined;
  readonly #given: PikOptions;
  readonly #options: Required<Omit<PikOptions, 'apiKey' | 'baseUrl' | 'onBehalfOf' | 'fetch'>> & { fetch: typeof fetch | undefined };

  constructor(options: PikOptions) {
    this.#given = options;
    if (typeof options?.apiKey !== 'string' || options.apiKey.length === 0) throw new TypeError('new Pik({ apiKey }) needs an API key (pik_test_… or pik_live_…).');
    this.apiKey = options.apiKey;
    this.baseUrl = normalizeBaseUrl(options.baseUrl ?? 'http://localhost:4000');
    this.onBehalfOf = options.onBehalfOf;
    this.#options = {
      maxRetries: options.maxRetries ?? 2,
      timeoutMs: options.timeoutMs ?? 60_000,
      initialRetryDelayMs: options.initialRetryDelayMs ?? 500,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 20_000,
      fetch: options.fetch,
    };
  }

  /** The same settings, acting for another account (or the platform when undefined). */
  withOnBehalfOf(accountId: string | undefined): Transport {
    return new Transport({ ...this.#given, onBehalfOf: accountId });
  }

  url(path: string, query?: Query): string {
    const url = new URL(`${this.baseUrl}/api/v1${path}`);
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    return url.toString();
  }

  /** Exponential backoff with jitter: about initial × 2^(attempt-1), between half and all of it, capped. */
  backoffMs(attempt: number): number {
    const ceiling = Math.min(this.#options.maxRetryDelayMs, this.#options.initialRetryDelayMs * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  async request<T>(request: Request): Promise<T> {
    const options = request.options ?? {};
    const maxRetries = options.maxRetries ?? this.#options.maxRetries;
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs;
    // One key for every attempt: the server applies the change once and replays its answer to the retries.
    const idempotencyKey = options.idempotencyKey ?? (request.method === 'POST' ? randomUuid() : undefined);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.apiKey}`,
      accept: 'application/json',
      'user-agent': `pik-sdk-typescript/${version}`,
      ...options.headers,
    };
    if (this.onBehalfOf !== undefined) headers['x-on-behalf-of'] = this.onBehalfOf;
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    const hasBody = request.body !== undefined;
    if (hasBody) headers['content-type'] = 'application/json';
    const url = this.url(request.path, request.query);
    const doFetch = this.#options.fetch ?? globalThis.fetch;

    for (let attempt = 1; ; attempt++) {
      const retriesLeft = attempt <= maxRetries;
      let response: Response;
      let text: string;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new DOMException('timeout', 'TimeoutError')), timeoutMs);
      const onAbort = () => controller.abort(options.signal?.reason);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        if (options.signal?.aborted) throw options.signal.reason;
        response = await doFetch(url, { method: request.method, headers, body: hasBody ? JSON.stringify(request.body) : undefined, signal: controller.signal });
        text = await response.text();
      } catch (error) {
        // The caller's own cancellation is final; a timeout or a failed connection is retried.
        if (options.signal?.aborted) throw error;
        const timedOut = controller.signal.aborted;
        if (retriesLeft) {
          await sleep(this.backoffMs(attempt), options.signal);
          continue;
        }
        throw new ConnectionError({
          code: timedOut ? 'CLIENT_TIMEOUT' : 'CONNECTION_ERROR',
          message: timedOut ? `No answer from ${this.baseUrl} within ${timeoutMs} ms (${attempt} attempts).` : `Could not reach ${this.baseUrl} (${attempt} attempts): ${(error as Error)?.message ?? String(error)}`,
          cause: error,
        });
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      }

      const body = parseJson(text);
      if (response.ok) {
        const info: ResponseInfo = {
          status: response.status,
          headers: response.headers,
          requestId: response.headers.get('x-request-id') ?? undefined,
          idempotencyKey,
          replayed: response.headers.get('idempotent-replayed') === 'true',
          attempts: attempt,
        };
        if (body !== null && typeof body === 'object') Object.defineProperty(body, 'lastResponse', { value: info, enumerable: false });
        return body as T;
      }

      const error = toError(response, body, text);
      const wait = this.#retryDelay(response, error, attempt);
      if (retriesLeft && wait !== undefined) {
        await sleep(wait, options.signal);
        continue;
      }
      throw error;
    }
  }

  /** How long to wait before retrying this answer, or undefined when it must not be retried. */
  #retryDelay(response: Response, error: PikError, attempt: number): number | undefined {
    const retryable = response.status === 429 || response.status >= 500 || (response.status === 409 && error.code === 'IDEMPOTENCY_KEY_IN_USE');
    if (!retryable) return undefined;
    const after = retryAfterMs(response.headers);
    if (after === undefined) return this.backoffMs(attempt);
    // The server said when: wait that long (a little more, spread), unless it is longer than a client should hang on.
    if (after > this.#options.maxRetryDelayMs) return undefined;
    return after + Math.random() * 100;
  }
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

interface ApiErrorBody {
  error?: { code?: string; message?: string; detail?: Record<string, unknown>; request_id?: string };
}

function toError(response: Response, body: unknown, text: string): PikError {
  const apiError = (body as ApiErrorBody | null)?.error;
  const Class = errorClassFor(response.status);
  const init = {
    status: response.status,
    code: (apiError?.code ?? (response.status >= 500 ? 'INTERNAL_ERROR' : 'INVALID_REQUEST')) as PikErrorCode,
    message: apiError?.message ?? `HTTP ${response.status}: ${text.slice(0, 200)}`,
    detail: apiError?.detail,
    requestId: apiError?.request_id ?? response.headers.get('x-request-id') ?? undefined,
    headers: response.headers,
  };
  if (Class === RateLimitError) {
    const after = retryAfterMs(response.headers);
    return new RateLimitError({ ...init, retryAfterSeconds: after === undefined ? undefined : Math.ceil(after / 1000) });
  }
  return new Class(init);
}
