// Per-request plumbing: the request id header, the API_KEY_IN_URL guard, and one log line per request without secrets.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hashApiKey, parseApiKey } from '../lib/api-key.ts';
import { markApiKeyExposed } from '../domain/api-keys/api-keys.ts';
import { ApiError } from '../lib/errors.ts';
import { runUnitOfWork } from '../db/unit-of-work.ts';
import { findKeysInUrlText, mayHoldKeyText, maxUrlDecodingPasses, queryParameterNames } from '../lib/url-keys.ts';
import { redactedRequestPath } from '../domain/request-log/request-log.ts';
import type { Services } from '../services.ts';
import { sendError } from './errors.ts';

const keyParamNames = new Set(['api_key', 'apikey', 'api-key', 'key', 'access_token']);

/**
 * Key-like strings anywhere in the URL, in any encoding (see lib/url-keys.ts), plus whether a parameter is named like
 * a key. A URL percent-encoded more times over than is decoded cannot be ruled out: it is withheld from logs too.
 */
const noKeyInUrl = { isKeyInUrl: false, isOverEncoded: false, keys: [] as string[] };

export function inspectUrlForKeys(rawUrl: string): { isKeyInUrl: boolean; isOverEncoded: boolean; keys: string[] } {
  // Every request passes here: a URL without a query and without anything a key could hide in costs four includes().
  if (!rawUrl.includes('?') && !mayHoldKeyText(rawUrl)) return noKeyInUrl;
  const { keys, isOverEncoded } = findKeysInUrlText(rawUrl);
  const hasKeyParam = queryParameterNames(rawUrl).some((name) => keyParamNames.has(name));
  return { isKeyInUrl: keys.length > 0 || hasKeyParam, isOverEncoded, keys };
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
      // PIK noticed it, not the caller: the entry's actor is the system, with the address the key came from.
      const origin = { actor: { type: 'system' as const, id: null }, ip: request.ip, userAgent: request.headers['user-agent'] ?? null };
      await runUnitOfWork(services.db, (work) => markApiKeyExposed(services, work, hashApiKey(key), { source: 'url', url: null, revoke: false }), undefined, origin).catch((error: unknown) =>
        request.log.warn({ err: error }, 'could not flag key as exposed'),
      );
    }
  }
}

/**
 * The API_KEY_IN_URL guard, for every request — from onRequest, and from the framework-error path for URLs Fastify
 * cannot route (which skips the hooks). Returns whether it answered: 400 API_KEY_IN_URL with any real key flagged as
 * exposed, or 400 INVALID_REQUEST for a URL encoded too many times over; either way the URL is withheld from every log.
 */
export function refuseKeyInUrl(services: Services, request: FastifyRequest, reply: FastifyReply): boolean {
  const { isKeyInUrl, isOverEncoded, keys } = inspectUrlForKeys(request.url);
  if (!isKeyInUrl && !isOverEncoded) return false;
  request.isUrlRedacted = true;
  if (!isKeyInUrl) {
    sendError(request, reply, new ApiError('INVALID_REQUEST', `The URL is percent-encoded more than ${maxUrlDecodingPasses} times over.`, { field: 'url' }));
    return true;
  }
  // flagExposedKeys never rejects (a failure to flag is logged), so the answer is always sent.
  void flagExposedKeys(services, request, keys).then(() => sendError(request, reply, new ApiError('API_KEY_IN_URL')));
  return true;
}

export function registerRequestContext(app: FastifyInstance, services: Services): void {
  // Callback-style: the common case (no key in the URL) does no I/O, so it need not cost a promise per request.
  // When the guard answers, done() is not called: replying from a callback-style hook ends the request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (!refuseKeyInUrl(services, request, reply)) done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    if (request.log.level === 'silent' || !['trace', 'debug', 'info'].includes(request.log.level)) return done();
    const path = request.isUrlRedacted ? redactedRequestPath : request.url.split('?')[0];
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
