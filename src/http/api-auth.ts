// Authentication and scoping for /api/v1: key → Principal → Scope, before any route looks at the request.
import type {
  FastifyContextConfig,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestHookHandler,
  RouteHandlerMethod,
  RouteOptions,
} from 'fastify';
import { authenticateBearer, lookUpKey, onBehalfOfValue, resolveScope, type ConnectionMemos, type Failure, type Outcome } from '../auth/authenticate.ts';
import type { Principal, Scope } from '../lib/actor.ts';
import { ApiError } from '../lib/errors.ts';
import { isId } from '../lib/ids.ts';
import type { Services } from '../services.ts';
import type { RateLimitGroup } from '../lib/rate-limit-groups.ts';
import { grantsAccess, isKeyPermission, splitKeyPermission, type KeyAccess, type KeyPermission, type KeyResource } from '../lib/key-permissions.ts';
import { sendAuthenticationThrottled } from './auth-throttle.ts';
import type { LookupTicket } from '../auth/auth-failure-limiter.ts';
import { sendError } from './errors.ts';
import { applyRateLimit, RateLimiter } from './rate-limit.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    scope?: Scope;
  }
  interface FastifyContextConfig {
    /**
     * 'platform': refuses x-on-behalf-of for a connected account (PLATFORM_SCOPE_REQUIRED); 'any': the platform or,
     * with x-on-behalf-of, one of its connected accounts. Required on every /api/v1 route (see requireDeclaration).
     */
    scope?: 'platform' | 'any';
    /**
     * What a restricted key needs to call the route ("payouts:write"; src/lib/key-permissions.ts). Required on every
     * /api/v1 route: a route without one refuses to register, so no route is reachable by an unintended key.
     */
    permission?: KeyPermission;
  }
}

/** The Scope a route handler runs in; the hook guarantees it is set on every /api/v1 route. */
export function scopeOf(request: { scope?: Scope }): Scope {
  if (!request.scope) throw new Error('scopeOf called outside an authenticated /api/v1 route');
  return request.scope;
}

type HookDone = HookHandlerDoneFunction;

/**
 * Every /api/v1 route states its security in its own declaration — who may call it (scope) and which limit it counts
 * against — so no route can be added with a forgotten default. A route without them fails at start-up, not in use.
 */
function requireDeclaration(route: RouteOptions): { scope: 'platform' | 'any'; rateLimitGroup: RateLimitGroup; permission: KeyPermission | undefined } {
  const config = route.config as FastifyContextConfig | undefined;
  if (route.method === 'HEAD') return { scope: config?.scope ?? 'any', rateLimitGroup: config?.rateLimitGroup ?? 'general', permission: config?.permission };
  if (config?.scope === undefined || config.rateLimitGroup === undefined || !isKeyPermission(config.permission)) {
    throw new Error(`${String(route.method)} ${route.url} must declare config.scope, config.rateLimitGroup and config.permission`);
  }
  return { scope: config.scope, rateLimitGroup: config.rateLimitGroup, permission: config.permission };
}

/** What the hook needs to know of the route it guards, read once when the route is registered. */
interface GuardedRoute {
  platformOnly: boolean;
  rateLimitGroup: RateLimitGroup;
  /** false for a URL no route takes: authenticated and counted, then answered 404/405 without resolving a scope. */
  resolvesScope: boolean;
  /** The permission a restricted key needs, split once here; undefined for a URL no route takes. */
  resource: KeyResource | undefined;
  access: KeyAccess;
  /** "payouts:write", for KEY_PERMISSION_DENIED's detail.required. */
  required: KeyPermission | undefined;
}

/** Any URL under /api/v1 that no route takes (unknown path, unknown method, OPTIONS): the key first, like any request. */
const unrouted: GuardedRoute = { platformOnly: false, rateLimitGroup: 'general', resolvesScope: false, resource: undefined, access: 'read', required: undefined };

/**
 * One hook for every /api/v1 route, in this order: the bearer key becomes a Principal (or a 401, or a 429 for an
 * address over its failed-authentication limit), the key's rate limit is counted (or a 429), then x-on-behalf-of
 * becomes the Scope (400/403/404). One hook rather than three keeps the hot path to a single hop through Fastify's
 * hook runner, and it is callback-style: on a key-cache and directory hit with the rate limit off every step is
 * synchronous, so the request costs no promise here; a step that has to wait (a cache miss, the rate limiter)
 * continues from its promise. An early answer sends the reply and does not call done, as Fastify expects of callback
 * hooks. An accepted key never touches the failed-authentication limit: only refusals and cache misses consult it.
 */
export function registerApiKeyAuth(app: FastifyInstance, services: Services, notFound: RouteHandlerMethod): void {
  const limiter = services.config.rateLimitEnabled ? new RateLimiter(services) : undefined;
  const failures = services.authFailures;
  const environments = services.config.environments;

  // The steps are defined once, here, not as closures per request: besides the allocation, every function
  // expression created at run time gets its name set by the TypeScript loader (Object.defineProperty, a slow call).
  const fail = (request: FastifyRequest, reply: FastifyReply, error: ApiError): void => {
    sendError(request, reply, error);
  };

  const withScope = (request: FastifyRequest, reply: FastifyReply, done: HookDone, scope: Outcome<Scope>): void => {
    if (!scope.ok) return fail(request, reply, new ApiError(scope.code, undefined, scope.detail));
    request.scope = scope.value;
    done();
  };

  const scoped = (request: FastifyRequest, reply: FastifyReply, done: HookDone, route: GuardedRoute, principal: Principal): void => {
    const named = onBehalfOfValue(request.headers['x-on-behalf-of']);
    // Refuse a platform-only route before looking the account up: the answer is the same whoever owns the id.
    if (
      typeof named === 'string' &&
      named !== principal.platformId &&
      route.platformOnly &&
      isId('account', named)
    ) {
      return fail(request, reply, new ApiError('PLATFORM_SCOPE_REQUIRED'));
    }
    const scope = resolveScope(services.directory, principal, named, request.raw.socket as ConnectionMemos);
    if (scope instanceof Promise) scope.then((resolved) => withScope(request, reply, done, resolved)).catch(done);
    else withScope(request, reply, done, scope);
  };

  const authenticated = (request: FastifyRequest, reply: FastifyReply, done: HookDone, route: GuardedRoute, principal: Principal): void => {
    // The key's own restrictions, after every 401 and before anything looks at the request: its allowlist (the address
    // is the one rate limits see, request.ip under PIK_TRUST_PROXY), then its permissions. Both are in memory.
    const allowlist = principal.allowlist;
    if (allowlist && !allowlist.allows(request.ip)) return fail(request, reply, new ApiError('IP_NOT_ALLOWED', undefined, { ip: request.ip }));
    const permissions = principal.permissions;
    if (permissions !== undefined && permissions !== 'full' && route.resource !== undefined && !grantsAccess(permissions, route.resource, route.access)) {
      return fail(request, reply, new ApiError('KEY_PERMISSION_DENIED', undefined, { required: route.required }));
    }
    request.principal = principal;
    services.keyUsage.record(principal.keyId, request.ip);
    if (!limiter) return route.resolvesScope ? scoped(request, reply, done, route, principal) : done();
    // Answered at once while this process holds slots of the key's budget; a promise when it must ask the store.
    const limited = applyRateLimit(limiter, reply, principal, route.rateLimitGroup);
    if (limited instanceof Promise) limited.then((refusal) => counted(request, reply, done, route, principal, refusal)).catch(done);
    else counted(request, reply, done, route, principal, limited);
  };

  const counted = (request: FastifyRequest, reply: FastifyReply, done: HookDone, route: GuardedRoute, principal: Principal, refusal: ApiError | undefined): void => {
    if (refusal) return fail(request, reply, refusal);
    if (route.resolvesScope) scoped(request, reply, done, route, principal);
    else done();
  };

  const unauthenticated = (request: FastifyRequest, reply: FastifyReply, failure: Failure): void => {
    failures?.recordFailure(request.ip);
    fail(request, reply, new ApiError(failure.code, undefined, failure.detail));
  };

  const looked = (request: FastifyRequest, reply: FastifyReply, done: HookDone, route: GuardedRoute, outcome: Outcome<Principal>, ticket: LookupTicket | undefined): void => {
    if (ticket !== undefined) failures?.settle(ticket, !outcome.ok);
    if (outcome.ok) authenticated(request, reply, done, route, outcome.value);
    else if (ticket !== undefined) fail(request, reply, new ApiError(outcome.code, undefined, outcome.detail));
    else unauthenticated(request, reply, outcome);
  };

  // Every refusal, and every key the cache does not hold, passes here: an address over its limit gets 429 and costs
  // no query. Except a key this process has seen active (its cache entry only expired): its holder is not the one
  // failing, and re-checking it is not a guess, so a client that shares an address with a failing one keeps working.
  const refused = (request: FastifyRequest, reply: FastifyReply, done: HookDone, route: GuardedRoute, auth: Failure & { lookupHash?: string }): void => {
    const lookupHash = auth.lookupHash;
    let ticket: LookupTicket | undefined;
    if (failures !== undefined) {
      const knownActive = lookupHash !== undefined && services.keyCache.isKnownActive(lookupHash);
      if (lookupHash !== undefined && !knownActive) {
        // The lookup is counted before it starts and settled when it answers (see AuthFailureLimiter.reserve).
        const reserved = failures.reserve(request.ip);
        if ('blockedForSeconds' in reserved) {
          sendAuthenticationThrottled(request, reply, failures, reserved.blockedForSeconds);
          return;
        }
        ticket = reserved.ticket;
      } else if (!knownActive) {
        const blockedFor = failures.blockedForSeconds(request.ip);
        if (blockedFor > 0) {
          sendAuthenticationThrottled(request, reply, failures, blockedFor);
          return;
        }
      }
    }
    if (lookupHash === undefined) return unauthenticated(request, reply, auth);
    lookUpKey(services.keyCache, environments, lookupHash)
      .then((outcome) => looked(request, reply, done, route, outcome, ticket))
      .catch((error: unknown) => {
        if (ticket !== undefined) failures?.settle(ticket, false);
        done(error as Error);
      });
  };

  const guardOf = (route: GuardedRoute): onRequestHookHandler => (request, reply, done) => {
    // The connection keeps memos: a kept-alive client repeating its header is not hashed again (see BearerMemo).
    const connection = request.raw.socket as ConnectionMemos;
    const auth = authenticateBearer(services.keyCache, environments, request.headers.authorization, connection);
    if (auth.ok) authenticated(request, reply, done, route, auth.value);
    else refused(request, reply, done, route, auth);
  };

  // The hook is attached to each route as it is registered, with what it needs of that route's config: reading
  // request.routeOptions per request would build and freeze a new options object every time.
  app.addHook('onRoute', (routeOptions) => {
    const config = requireDeclaration(routeOptions);
    const split = config.permission === undefined ? undefined : splitKeyPermission(config.permission);
    const guard = guardOf({
      platformOnly: config.scope === 'platform',
      rateLimitGroup: config.rateLimitGroup,
      resolvesScope: true,
      resource: split?.resource,
      access: split?.access ?? 'read',
      required: config.permission,
    });
    // First among the route's own hooks; Fastify runs the root's (request id, key-in-URL guard) before it.
    const existing = routeOptions.onRequest;
    routeOptions.onRequest = existing === undefined ? [guard] : [guard, ...(Array.isArray(existing) ? existing : [existing])];
  });

  // The prefix's own not-found handler, in a child context that has the guard as its only hook (the routes above have
  // it attached, so it would run twice on them as an instance hook): an unknown path or method answers 401 without a
  // key, like any /api/v1 request, and 404/405 only to a caller who has one. Not awaited, so the child is loaded after
  // the routes and inherits every hook of the prefix (the request log).
  void app.register(async (unknown) => {
    unknown.addHook('onRequest', guardOf(unrouted));
    unknown.setNotFoundHandler(notFound);
  });
}
