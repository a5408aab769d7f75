// The CLI's connection to a running server: where it is, the credential (the operator token, or a platform's API key
// for the commands a platform developer runs), and one call() that turns errors into messages.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { findOperatorToken } from '../auth/operator-token.ts';
import { request, type PlainResponse } from './http.ts';

export interface CliErrorFacts {
  /** The HTTP status of an API error answer. */
  status?: number | undefined;
  /** The API error's code (ApiError catalogue), e.g. UNKNOWN_EVENT_TYPE. */
  code?: string | undefined;
  detail?: unknown;
  /** Nothing was answered, or a 5xx or 429: trying again later may succeed (a long-running command keeps going). */
  isTransient?: boolean | undefined;
}

export class CliError extends Error {
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly detail: unknown;
  readonly isTransient: boolean;

  constructor(message: string, facts: CliErrorFacts = {}) {
    super(message);
    this.status = facts.status;
    this.code = facts.code;
    this.detail = facts.detail;
    this.isTransient = facts.isTransient ?? false;
  }
}

export interface CallOptions {
  /**
   * Sent as Idempotency-Key. With one, a request that may not have been answered (no connection, a timeout, a 5xx,
   * the first attempt still running) is retried with the same key, so the server applies it at most once; a
   * failure names the key, to retry later with --idempotency-key.
   */
  idempotencyKey?: string | undefined;
  /** Ends the call early (Ctrl-C in a long-running command): it rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

export interface OperatorClient {
  baseUrl: string;
  call<T = any>(method: string, urlPath: string, body?: unknown, options?: CallOptions): Promise<T>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A platform's view of the API (/api/v1), with its API key as the bearer; same call() as the operator's client. */
export type ApiClient = OperatorClient;

/** One key per command invocation, reused on its retries; money commands take --idempotency-key to reuse one across runs. */
export function newIdempotencyKey(): string {
  return `pik-cli-${randomUUID()}`;
}

/** An attempt whose outcome is unknown (the request may or may not have been applied): worth retrying with its key. */
class Unanswered extends Error {
  constructor(
    message: string,
    readonly facts: CliErrorFacts = {},
  ) {
    super(message);
  }
}

const retryDelaysMs = [250, 1000];
const defaultBaseUrl = 'http://127.0.0.1:4000';

function numberFrom(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isInteger(n) && n > 0 ? n : fallback;
}

/** The server the CLI talks to: the command's --url if it has one, else PIK_URL, else the default `npm start` uses. */
export function serverUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return (flag || env.PIK_URL || defaultBaseUrl).replace(/\/+$/, '');
}

interface Connection {
  baseUrl: string;
  timeoutMs: number;
  /** Where to look when the server cannot be reached. */
  reachHint: string;
}

async function attempt(
  connection: Connection,
  token: string,
  method: string,
  urlPath: string,
  body: unknown,
  key: string | undefined,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const { baseUrl, timeoutMs } = connection;
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: PlainResponse;
  try {
    response = await request(`${baseUrl}${urlPath}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    });
  } catch {
    if (signal?.aborted) throw signal.reason;
    if (timeout.aborted) throw new Unanswered(`No answer from the PIK server at ${baseUrl} within ${timeoutMs / 1000} s.`);
    throw new Unanswered(`Cannot reach the PIK server at ${baseUrl}. ${connection.reachHint}`);
  }
  let text: string;
  try {
    text = await response.text;
  } catch {
    if (signal?.aborted) throw signal.reason;
    throw new Unanswered(`The connection to ${baseUrl} broke before the answer arrived.`);
  }
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    if (response.status >= 500) throw new Unanswered(`Unexpected answer from ${baseUrl} (HTTP ${response.status}).`, { status: response.status });
    throw new CliError(`Unexpected answer from ${baseUrl} (HTTP ${response.status}).`, { status: response.status });
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string; detail?: unknown } } | undefined)?.error;
    const message = `${error?.code ?? `HTTP ${response.status}`}: ${error?.message ?? 'request failed'}${error?.detail === undefined ? '' : `\ndetail: ${JSON.stringify(error.detail)}`}`;
    const facts = { status: response.status, code: error?.code, detail: error?.detail };
    // A 5xx, or the first attempt with this key still running: the request may yet apply, so the answer is unknown.
    if (response.status >= 500 || error?.code === 'IDEMPOTENCY_KEY_IN_USE') throw new Unanswered(message, facts);
    // Refused, so certainly not applied; but the same request is worth making again in a while.
    throw new CliError(message, { ...facts, isTransient: response.status === 429 });
  }
  return json;
}

async function callWithRetries(connection: Connection, token: string, method: string, urlPath: string, body: unknown, options: CallOptions): Promise<never> {
  const key = options.idempotencyKey;
  for (let retry = 0; ; retry++) {
    try {
      return (await attempt(connection, token, method, urlPath, body, key, options.signal)) as never;
    } catch (error) {
      if (!(error instanceof Unanswered)) {
        // A refusal is definite (nothing was applied): its key is worth naming only when the same request may be made
        // again later (429), so that the retry is recognised as the same one.
        if (key !== undefined && error instanceof CliError && error.isTransient) throw new CliError(`${error.message}\n(Idempotency-Key: ${key})`, error);
        throw error;
      }
      // Without a key a retry could apply the request twice: only keyed requests are retried.
      const delay = key === undefined ? undefined : retryDelaysMs[retry];
      if (delay === undefined) {
        throw new CliError(
          key === undefined
            ? error.message
            : `${error.message}\nIt is not known whether this was applied. Run the same command again with --idempotency-key ${key}: it is applied at most once.`,
          { ...error.facts, isTransient: true },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export function createOperatorClient(env: NodeJS.ProcessEnv = process.env): OperatorClient {
  const connection: Connection = {
    baseUrl: serverUrl(undefined, env),
    timeoutMs: numberFrom(env.PIK_CLI_TIMEOUT_MS, 30_000),
    reachHint: 'Is it running (npm start)? Set PIK_URL if it listens elsewhere.',
  };
  const dataDir = path.resolve(env.PIK_DATA_DIR || './.pik');
  return {
    baseUrl: connection.baseUrl,
    async call(method, urlPath, body, options = {}) {
      // Looked up per call, not at start, so `--help` works without a server or a token.
      const token = findOperatorToken(env.PIK_OPERATOR_TOKEN, dataDir);
      if (!token) {
        throw new CliError(
          `No operator token: set PIK_OPERATOR_TOKEN, or run the CLI where the server's data directory is (${dataDir}; set PIK_DATA_DIR).`,
        );
      }
      return callWithRetries(connection, token.token, method, urlPath, body, options);
    },
  };
}

/** A client of /api/v1 that authenticates as a platform with `apiKey` (checked by the caller: see commands/api-key-options.ts). */
export function createApiClient(apiKey: string, baseUrl: string, env: NodeJS.ProcessEnv = process.env): ApiClient {
  const connection: Connection = {
    baseUrl,
    timeoutMs: numberFrom(env.PIK_CLI_TIMEOUT_MS, 30_000),
    reachHint: 'Is it running (npm start)? Pass --url (or set PIK_URL) if it listens elsewhere.',
  };
  return {
    baseUrl,
    call: (method, urlPath, body, options = {}) => callWithRetries(connection, apiKey, method, urlPath, body, options),
  };
}
