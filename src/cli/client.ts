// The CLI's connection to a running server: where it is, the operator token, and one call() that turns errors into messages.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { findOperatorToken } from '../auth/operator-token.ts';

export class CliError extends Error {}

export interface CallOptions {
  /**
   * Sent as Idempotency-Key. With one, a request that may not have been answered (no connection, a timeout, a 5xx,
   * the first attempt still running) is retried with the same key, so the server applies it at most once; a
   * failure names the key, to retry later with --idempotency-key.
   */
  idempotencyKey?: string | undefined;
}

export interface OperatorClient {
  baseUrl: string;
  call<T = any>(method: string, urlPath: string, body?: unknown, options?: CallOptions): Promise<T>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One key per command invocation, reused on its retries; money commands take --idempotency-key to reuse one across runs. */
export function newIdempotencyKey(): string {
  return `pik-cli-${randomUUID()}`;
}

/** An attempt whose outcome is unknown (the request may or may not have been applied): worth retrying with its key. */
class Unanswered extends Error {}

const retryDelaysMs = [250, 1000];

function numberFrom(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isInteger(n) && n > 0 ? n : fallback;
}

export function createOperatorClient(env: NodeJS.ProcessEnv = process.env): OperatorClient {
  const baseUrl = (env.PIK_URL || 'http://127.0.0.1:4000').replace(/\/+$/, '');
  const dataDir = path.resolve(env.PIK_DATA_DIR || './.pik');
  const timeoutMs = numberFrom(env.PIK_CLI_TIMEOUT_MS, 30_000);

  const attempt = async (token: string, method: string, urlPath: string, body: unknown, key: string | undefined): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${urlPath}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(key === undefined ? {} : { 'idempotency-key': key }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') throw new Unanswered(`No answer from the PIK server at ${baseUrl} within ${timeoutMs / 1000} s.`);
      throw new Unanswered(`Cannot reach the PIK server at ${baseUrl}. Is it running (npm start)? Set PIK_URL if it listens elsewhere.`);
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new Unanswered(`The connection to ${baseUrl} broke before the answer arrived.`);
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      if (response.status >= 500) throw new Unanswered(`Unexpected answer from ${baseUrl} (HTTP ${response.status}).`);
      throw new CliError(`Unexpected answer from ${baseUrl} (HTTP ${response.status}).`);
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string; detail?: unknown } } | undefined)?.error;
      const message = `${error?.code ?? `HTTP ${response.status}`}: ${error?.message ?? 'request failed'}${error?.detail === undefined ? '' : `\ndetail: ${JSON.stringify(error.detail)}`}`;
      // A 5xx, or the first attempt with this key still running: the request may yet apply, so the answer is unknown.
      if (response.status >= 500 || error?.code === 'IDEMPOTENCY_KEY_IN_USE') throw new Unanswered(message);
      throw new CliError(message);
    }
    return json;
  };

  return {
    baseUrl,
    async call(method, urlPath, body, options = {}) {
      // Looked up per call, not at start, so `--help` works without a server or a token.
      const token = findOperatorToken(env.PIK_OPERATOR_TOKEN, dataDir);
      if (!token) {
        throw new CliError(
          `No operator token: set PIK_OPERATOR_TOKEN, or run the CLI where the server's data directory is (${dataDir}; set PIK_DATA_DIR).`,
        );
      }
      const key = options.idempotencyKey;
      for (let retry = 0; ; retry++) {
        try {
          return (await attempt(token.token, method, urlPath, body, key)) as never;
        } catch (error) {
          if (!(error instanceof Unanswered)) {
            if (key !== undefined && error instanceof CliError) throw new CliError(`${error.message}\n(Idempotency-Key: ${key})`);
            throw error;
          }
          // Without a key a retry could apply the request twice: only keyed requests are retried.
          const delay = key === undefined ? undefined : retryDelaysMs[retry];
          if (delay === undefined) {
            throw new CliError(
              key === undefined
                ? error.message
                : `${error.message}\nIt is not known whether this was applied. Run the same command again with --idempotency-key ${key}: it is applied at most once.`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    },
  };
}
