// The CLI's connection to a running server: where it is, the operator token, and one call() that turns errors into messages.
import path from 'node:path';
import { findOperatorToken } from '../auth/operator-token.ts';

export class CliError extends Error {}

export interface OperatorClient {
  baseUrl: string;
  call<T = any>(method: string, urlPath: string, body?: unknown): Promise<T>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export function createOperatorClient(env: NodeJS.ProcessEnv = process.env): OperatorClient {
  const baseUrl = (env.PIK_URL || 'http://127.0.0.1:4000').replace(/\/+$/, '');
  const dataDir = path.resolve(env.PIK_DATA_DIR || './.pik');
  return {
    baseUrl,
    async call(method, urlPath, body) {
      // Looked up per call, not at start, so `--help` works without a server or a token.
      const token = findOperatorToken(env.PIK_OPERATOR_TOKEN, dataDir);
      if (!token) {
        throw new CliError(
          `No operator token: set PIK_OPERATOR_TOKEN, or run the CLI where the server's data directory is (${dataDir}; set PIK_DATA_DIR).`,
        );
      }
      let response: Response;
      try {
        response = await fetch(`${baseUrl}${urlPath}`, {
          method,
          headers: { authorization: `Bearer ${token.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch {
        throw new CliError(`Cannot reach the PIK server at ${baseUrl}. Is it running (npm start)? Set PIK_URL if it listens elsewhere.`);
      }
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        throw new CliError(`Unexpected answer from ${baseUrl} (HTTP ${response.status}).`);
      }
      if (!response.ok) {
        const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
        throw new CliError(`${error?.code ?? `HTTP ${response.status}`}: ${error?.message ?? 'request failed'}`);
      }
      return json as never;
    },
  };
}
