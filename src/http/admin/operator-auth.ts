// The operator API's gate: a bearer operator token, compared in constant time; and whose Idempotency-Keys its requests use.
import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../../auth/authenticate.ts';
import { isOperatorToken } from '../../auth/operator-token.ts';
import { operatorIdempotencyOwnerId } from '../../domain/idempotency/idempotency.ts';
import { isEnvironment, type Environment } from '../../lib/environments.ts';
import { ApiError } from '../../lib/errors.ts';
import type { Services } from '../../services.ts';
import { sendError } from '../errors.ts';
import type { IdempotencyOwnerOf } from '../idempotency.ts';

export function registerOperatorAuth(app: FastifyInstance, services: Services): void {
  app.addHook('onRequest', async (request, reply) => {
    const token = bearerToken(request.headers.authorization);
    if (token === undefined || !isOperatorToken(services.operatorToken, token)) {
      return sendError(request, reply, new ApiError('OPERATOR_TOKEN_INVALID'));
    }
  });
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
