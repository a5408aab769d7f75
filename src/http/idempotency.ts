// Idempotency for creating POSTs (spec §2), declared in the route: `config: { idempotent: true }` (or
// `{ bodyField: 'idempotency_key' }` to also accept the key in the body). Replays carry `idempotent-replayed: true`.
// A route that moves money declares `movesMoney: true` as well, and cannot be registered without `idempotent`.
//
// The key is claimed before the handler runs (preHandler). A success is stored by the route's unit of work, in the
// same transaction as the change (see reply-from-work.ts), so no crash can leave a change applied without the answer
// a retry must replay. An error answer changed nothing; onSend stores it (a 4xx is the answer to replay) or frees the
// key (a 5xx is our failure, not an answer: the retry runs afresh).
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import {
  claimIdempotencyKey,
  hashRequest,
  type IdempotencyOwner,
  parseIdempotencyKey,
  releaseIdempotencyKey,
  storeIdempotentErrorResponse,
  type Claim,
} from '../domain/idempotency/idempotency.ts';
import { isDatabaseUnavailable } from '../db/errors.ts';
import { ApiError } from '../lib/errors.ts';
import type { Services } from '../services.ts';
import { scopeOf } from './api-auth.ts';

export type IdempotencyOption = true | { bodyField: string };

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotent?: IdempotencyOption;
    /**
     * The route moves money (posts ledger entries): a retry must never move it twice, so it must be `idempotent`
     * (checked when it is registered) and is in the "every money writer replayed" test (test/money-writers-replay.test.ts).
     */
    movesMoney?: boolean;
  }
  interface FastifyRequest {
    /** The claimed Idempotency-Key while its answer is not yet recorded; cleared once it is. */
    idempotencyClaim?: Claim;
  }
}

function keyOf(request: FastifyRequest, option: IdempotencyOption): string | undefined {
  const header = request.headers['idempotency-key'];
  const fromHeader = Array.isArray(header) ? header.join(',') : header;
  const body = request.body as Record<string, unknown> | undefined;
  const fromBody = option !== true && body && typeof body === 'object' ? body[option.bodyField] : undefined;
  if (fromHeader !== undefined && fromBody !== undefined && fromHeader !== fromBody) {
    throw new ApiError('INVALID_IDEMPOTENCY_KEY', 'The Idempotency-Key header and the idempotency_key field differ; send one, or the same value in both.', {
      field: 'idempotency_key',
    });
  }
  const value = fromHeader ?? fromBody;
  return value === undefined ? undefined : parseIdempotencyKey(value);
}

/** Who owns the keys of a request, and the account its request identity names. */
export type IdempotencyOwnerOf = (request: FastifyRequest) => IdempotencyOwner & { accountId: string };

/** /api/v1: the API key's platform in its environment; the request's identity includes the account in scope. */
const apiKeyOwner: IdempotencyOwnerOf = (request) => scopeOf(request);

/**
 * Registers the mechanism on an instance (/api/v1, /admin/v1); must run before the routes that use it are declared.
 * `ownerOf` names whose keys a request's key is one of (default: the API key's platform).
 */
export function registerIdempotency(app: FastifyInstance, services: Services, ownerOf: IdempotencyOwnerOf = apiKeyOwner): void {
  // The claim each request took, kept apart from request.idempotencyClaim (which is cleared once the answer is stored).
  const claims = new WeakMap<FastifyRequest, Claim>();
  const endLease = async (request: FastifyRequest): Promise<void> => {
    const claim = claims.get(request);
    if (claim) services.idempotencyLeases.release(claim);
  };

  const recordErrorAnswer = async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    void endLease(request);
    const claim = request.idempotencyClaim;
    if (!claim) return payload;
    request.idempotencyClaim = undefined;
    try {
      if (reply.statusCode < 400) {
        // Every idempotent handler answers through replyFromWork, which records a success with its change; reaching
        // here means one does not, and its answer could be lost to a crash.
        request.log.error({ route: request.routeOptions.url }, 'an idempotent route answered outside its unit of work');
      }
      if (reply.statusCode >= 500 || reply.errorCode === 'IDEMPOTENCY_KEY_IN_USE') await releaseIdempotencyKey(services, claim);
      else await storeIdempotentErrorResponse(services, claim, reply.statusCode, typeof payload === 'string' ? payload : String(payload));
    } catch (error) {
      // The database is away (the usual reason this answer was a 503): the claim lapses with its lease instead.
      if (isDatabaseUnavailable(error)) request.log.warn({ idempotency_key_lapses_in_ms: services.config.idempotencyLeaseMs }, 'could not free the Idempotency-Key: the database is unavailable');
      else request.log.error({ err: error }, 'could not record the idempotent response');
    }
    return payload;
  };

  app.addHook('onRoute', (route) => {
    const option = route.config?.idempotent;
    if (route.config?.movesMoney && !option) {
      throw new Error(`${String(route.method)} ${route.url} moves money but is not idempotent: declare config.idempotent, so a retry cannot move it twice.`);
    }
    if (!option) return;
    const claimKey: preHandlerAsyncHookHandler = async (request, reply) => {
      const key = keyOf(request, option);
      if (key === undefined) return;
      const owner = ownerOf(request);
      const requestHash = hashRequest({ method: request.method, path: request.url.split('?')[0] ?? '', accountId: owner.accountId, body: request.body });
      const outcome = await claimIdempotencyKey(services, { environment: owner.environment, platformId: owner.platformId }, key, requestHash);
      if (outcome.kind === 'replay') {
        await reply.code(outcome.status).header('idempotent-replayed', 'true').type('application/json; charset=utf-8').send(outcome.body);
        return;
      }
      request.idempotencyClaim = outcome.claim;
      services.idempotencyLeases.hold(outcome.claim);
      claims.set(request, outcome.claim);
    };
    const hooks = <T>(existing: T | T[] | undefined): T[] => (existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]);
    route.preHandler = [...hooks(route.preHandler), claimKey] as typeof route.preHandler;
    // Only idempotent routes pay for this hook; every other response skips it entirely.
    route.onSend = [...hooks(route.onSend), recordErrorAnswer] as typeof route.onSend;
    // The handler has answered (onSend, below) or the response ended: the claim's lease is no longer renewed. A client
    // that went away does not end it: the handler still runs, and may still commit with its answer.
    route.onResponse = [...hooks(route.onResponse), endLease] as typeof route.onResponse;
  });
}
