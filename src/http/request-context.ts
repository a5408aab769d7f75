// Per-request plumbing: the request id header, the API_KEY_IN_URL guard, and one log line per request without secrets.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hashApiKey, keyLikePattern, parseApiKey } from '../lib/api-key.ts';
import { markApiKeyExposed } from '../domain/api-keys/api-keys.ts';
import { ApiError } from '../lib/errors.ts';
import type { Services } from '../services.ts';
import { sendError } from './errors.ts';

const keyParamNames = new Set(['api_key', 'apikey', 'api-key', 'key', 'access_token']);

/** Key-like strings anywhere in the URL, plus whether a parameter is named like a key. */
export function inspectUrlForKeys(rawUrl: string): { isKeyInUrl: boolean; keys: string[] } {
  let decoded = rawUrl;
  try {
    decoded = decodeURIComponent(rawUrl);
  } catch {
    // keep the raw form; key characters are never percent-encoded anyway
  }
  const keys = [...decoded.matchAll(keyLikePattern)].map((m) => m[0]);
  const queryStart = rawUrl.indexOf('?');
  let hasKeyParam = false;
  if (queryStart >= 0) {
    for (const name of new URLSearchParams(rawUrl.slice(queryStart + 1)).keys()) {
      if (keyParamNames.has(name.toLowerCase())) hasKeyParam = true;
    }
  }
  return { isKeyInUrl: keys.length > 0 || hasKeyParam, keys };
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The URL was withheld from logs because it carried a key. */
    isUrlRedacted?: boolean;
  }
}

async function flagExposedKeys(services: Services, request: FastifyRequest, keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    if (parseApiKey(key).ok) {
      await markApiKeyExposed(services, hashApiKey(key)).catch((error: unknown) => request.log.warn({ err: error }, 'could not flag key as exposed'));
    }
  }
}

export function registerRequestContext(app: FastifyInstance, services: Services): void {
  // Callback-style: the common case (no key in the URL) does no I/O, so it need not cost a promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    const { isKeyInUrl, keys } = inspectUrlForKeys(request.url);
    if (!isKeyInUrl) return done();
    request.isUrlRedacted = true;
    flagExposedKeys(services, request, keys)
      .then(() => {
        sendError(request, reply, new ApiError('API_KEY_IN_URL'));
      })
      .catch(done);
  });

  app.addHook('onResponse', (request, reply, done) => {
    if (request.log.level === 'silent' || !['trace', 'debug', 'info'].includes(request.log.level)) return done();
    const path = request.isUrlRedacted ? '[REDACTED: key in URL]' : request.url.split('?')[0];
    request.log.info(
      {
        method: request.method,
        path,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        key_id: request.principal?.keyId,
        account_id: request.scope?.accountId,
        error_code: reply.errorCode,
      },
      'request',
    );
    done();
  });
}
