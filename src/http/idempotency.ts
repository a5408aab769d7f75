// Idempotency for creating POSTs (spec §2), as route config: `config: { idempotent: true }` (or
// `{ bodyField: 'idempotency_key' }` to also accept the key in the body). Replays carry `idempotent-replayed: true`.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { transactionHooks } from '../db/transaction-hooks.ts';
import {
  claimIdempotencyKey,
  hashRequest,
  markIdempotencyKeyApplied,
  parseIdempotencyKey,
  releaseIdempotencyKey,
  storeIdempotentResponse,
  type Claim,
} from '../domain/idempotency/idempotency.ts';
import { ApiError } from '../lib/errors.ts';
import type { Services } from '../services.ts';
import { scopeOf } from './api-auth.ts';

export type IdempotencyOption = true | { bodyField: string };

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotent?: IdempotencyOption;
  }
  interface FastifyRequest {
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

/** Registers the mechanism on an /api/v1 instance; must run before the routes that use it are declared. */
export function registerIdempotency(app: FastifyInstance, services: Services): void {
  const recordAnswer = async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const claim = request.idempotencyClaim;
    if (!claim) return payload;
    request.idempotencyClaim = undefined;
    try {
      // Our failures are not answers to replay: free the key (unless the change was applied) so a retry runs again.
      if (reply.statusCode >= 500 || reply.errorCode === 'IDEMPOTENCY_KEY_IN_USE') await releaseIdempotencyKey(services, claim);
      else await storeIdempotentResponse(services, claim, reply.statusCode, typeof payload === 'string' ? payload : String(payload));
    } catch (error) {
      request.log.error({ err: error }, 'could not record the idempotent response');
    }
    return payload;
  };

  app.addHook('onRoute', (route) => {
    const option = route.config?.idempotent;
    if (!option) return;
    const handler = route.handler as (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => unknown;
    const wrapped = async function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
      const key = keyOf(request, option);
      if (key === undefined) return handler.call(this, request, reply);
      const scope = scopeOf(request);
      const requestHash = hashRequest({ method: request.method, path: request.url.split('?')[0] ?? '', accountId: scope.accountId, body: request.body });
      const outcome = await claimIdempotencyKey(services, scope, key, requestHash);
      if (outcome.kind === 'replay') {
        return reply.code(outcome.status).header('idempotent-replayed', 'true').type('application/json; charset=utf-8').send(outcome.body);
      }
      const claim = outcome.claim;
      request.idempotencyClaim = claim;
      return transactionHooks.run({ beforeCommit: (tx) => markIdempotencyKeyApplied(tx, claim, services.now()) }, () => handler.call(this, request, reply));
    };
    route.handler = wrapped as RouteHandlerMethod;
    // Only idempotent routes pay for recording the answer; every other response skips this hook entirely.
    const existing = route.onSend === undefined ? [] : Array.isArray(route.onSend) ? route.onSend : [route.onSend];
    route.onSend = [...existing, recordAnswer] as typeof route.onSend;
  });

}
