// The operator API's gate: a bearer operator token, compared in constant time; and whose Idempotency-Keys its requests use.
import type { FastifyInstance, onRequestHookHandler, RouteHandlerMethod } from 'fastify';
import { bearerToken } from '../../auth/authenticate.ts';
import { isOperatorToken } from '../../auth/operator-token.ts';
import { operatorIdempotencyOwnerId } from '../../domain/idempotency/idempotency.ts';
import { isEnvironment, type Environment } from '../../lib/environments.ts';
import { ApiError } from '../../lib/errors.ts';
import type { Services } from '../../services.ts';
import { sendAuthenticationThrottled } from '../auth-throttle.ts';
import { sendError } from '../errors.ts';
import type { IdempotencyOwnerOf } from '../idempotency.ts';

/**
 * The token is checked on every request under /admin/v1, routed or not: the prefix's not-found handler is set here, in
 * the same context as the hook, so an unknown path, another method or OPTIONS answers 401 without the token and
 * 404/405 only with it. Nothing about which operator routes exist is answered to anyone else.
 *
 * Failed attempts count against the client address's failed-authentication limit, shared with API keys. Unlike an
 * API key, the operator token is one secret of one client, whose length is the operator's choice: an address over
 * the limit is refused whatever it sends, the right token included, so the limit bounds guesses at the token too.
 */
export function registerOperatorAuth(app: FastifyInstance, services: Services, notFound: RouteHandlerMethod): void {
  app.addHook('onRequest', operatorGate(services));
  app.setNotFoundHandler(notFound);
}

/** The operator token check as an onRequest hook, for /admin/v1 and for GET /metrics on the API's port. */
export function operatorGate(services: Services): onRequestHookHandler {
  const failures = services.authFailures;
  return (request, reply, done) => {
    if (failures !== undefined) {
      const blockedFor = failures.blockedForSeconds(request.ip);
      if (blockedFor > 0) {
        sendAuthenticationThrottled(request, reply, failures, blockedFor);
        return;
      }
    }
    const token = bearerToken(request.headers.authorization);
    if (token === undefined || !isOperatorToken(services.operatorToken, token)) {
      failures?.recordFailure(request.ip);
      sendError(request, reply, new ApiError('OPERATOR_TOKEN_INVALID'));
      return;
    }
    request.isOperator = true;
    done();
  };
}

/** The environment an operator write acts on: its body's `environment` (validated by the route), else production. */
export function operatorEnvironmentOf(body: unknown): Environment {
  const named = body !== null && typeof body === 'object' ? (body as { environment?: unknown }).environment : undefined;
  return typeof named === 'string' && isEnvironment(named) ? named : 'production';
}

/**
 * The operator's Idempotency-Keys are the operator's own (there is one operator, whoever runs the CLI), kept in the
 * schema of the environment the request acts on — as a platform's are per environment, and next to the change they
 * guard, so both commit together.
 */
export const operatorIdempotencyOwner: IdempotencyOwnerOf = (request) => ({
  environment: operatorEnvironmentOf(request.body),
  platformId: operatorIdempotencyOwnerId,
  accountId: operatorIdempotencyOwnerId,
});
