// The operator API's gate: a bearer operator token, compared in constant time.
import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../../auth/authenticate.ts';
import { isOperatorToken } from '../../auth/operator-token.ts';
import { ApiError } from '../../lib/errors.ts';
import type { Services } from '../../services.ts';
import { sendError } from '../errors.ts';

export function registerOperatorAuth(app: FastifyInstance, services: Services): void {
  app.addHook('onRequest', async (request, reply) => {
    const token = bearerToken(request.headers.authorization);
    if (token === undefined || !isOperatorToken(services.operatorToken, token)) {
      return sendError(request, reply, new ApiError('OPERATOR_TOKEN_INVALID'));
    }
  });
}
