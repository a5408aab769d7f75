// The operator API's gate: a bearer operator token, compared in constant time.
import type { FastifyInstance } from 'fastify';
import { isOperatorToken } from '../../auth/operator-token.ts';
import { ApiError } from '../../domain/errors.ts';
import type { Services } from '../../services.ts';
import { sendError } from '../errors.ts';

const bearerPattern = /^bearer +([^\s]+) *$/i;

export function registerOperatorAuth(app: FastifyInstance, services: Services): void {
  app.addHook('onRequest', async (request, reply) => {
    const match = bearerPattern.exec((request.headers.authorization ?? '').trim());
    if (!match?.[1] || !isOperatorToken(services.operatorToken, match[1])) {
      return sendError(request, reply, new ApiError('OPERATOR_TOKEN_INVALID'));
    }
  });
}
