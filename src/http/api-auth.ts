// Authentication and scoping for /api/v1: key → Principal → Scope, before any route looks at the request.
import type { FastifyInstance } from 'fastify';
import { authenticateBearer, resolveScope } from '../auth/authenticate.ts';
import type { Principal, Scope } from '../domain/actor.ts';
import { ApiError } from '../domain/errors.ts';
import { isId } from '../lib/ids.ts';
import type { Services } from '../services.ts';
import { sendError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    scope?: Scope;
  }
  interface FastifyContextConfig {
    /** 'platform': refuses x-on-behalf-of for a connected account (PLATFORM_SCOPE_REQUIRED). Default: any scope. */
    scope?: 'platform' | 'any';
  }
}

/** The Scope a route handler runs in; the hook guarantees it is set on every /api/v1 route. */
export function scopeOf(request: { scope?: Scope }): Scope {
  if (!request.scope) throw new Error('scopeOf called outside an authenticated /api/v1 route');
  return request.scope;
}

/** Node joins a repeated header into one "a, b" value; split it back so a repeat is seen as a repeat. */
function splitHeader(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(','));
}

/** First hook: the bearer key becomes a Principal, or the request ends with a 401. */
export function registerApiKeyAuth(app: FastifyInstance, services: Services): void {
  app.addHook('onRequest', async (request, reply) => {
    const auth = await authenticateBearer(services.keyCache, services.config.environments, request.headers.authorization);
    if (!auth.ok) return sendError(request, reply, new ApiError(auth.code, undefined, auth.detail));
    request.principal = auth.value;
    services.keyUsage.record(auth.value.keyId, request.ip);
  });
}

/** Runs after authentication (and rate limiting): x-on-behalf-of becomes the request's Scope. */
export function registerScope(app: FastifyInstance, services: Services): void {
  app.addHook('onRequest', async (request, reply) => {
    const principal = request.principal;
    if (!principal) throw new Error('registerScope must run after registerApiKeyAuth');
    const fail = (error: ApiError) => sendError(request, reply, error);
    const headerValues = splitHeader(request.headers['x-on-behalf-of']);
    // Refuse a platform-only route before looking the account up: the answer is the same whoever owns the id.
    const named = headerValues?.length === 1 ? headerValues[0]?.trim() : undefined;
    if (
      request.routeOptions.config.scope === 'platform' &&
      named !== undefined &&
      isId('account', named) &&
      named !== principal.platformId
    ) {
      return fail(new ApiError('PLATFORM_SCOPE_REQUIRED'));
    }
    const scope = await resolveScope(services.directory, principal, headerValues);
    if (!scope.ok) return fail(new ApiError(scope.code, undefined, scope.detail));
    request.scope = scope.value;
  });
}
