// The operator API's gate: a bearer operator token, compared in constant time.
import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import { bearerToken } from '../../auth/authenticate.ts';
import { isOperatorToken } from '../../auth/operator-token.ts';
import { ApiError } from '../../lib/errors.ts';
import type { Services } from '../../services.ts';
import { sendError } from '../errors.ts';

/**
 * The token is checked on every request under /admin/v1, routed or not: the prefix's not-found handler is set here, in
 * the same context as the hook, so an unknown path, another method or OPTIONS answers 401 without the token and
 * 404/405 only with it. Nothing about which operator routes exist is answered to anyone else.
 */
export function registerOperatorAuth(app: FastifyInstance, services: Services, notFound: RouteHandlerMethod): void {
  app.addHook('onRequest', async (request, reply) => {
    const token = bearerToken(request.headers.authorization);
    if (token === undefined || !isOperatorToken(services.operatorToken, token)) {
      return sendError(request, reply, new ApiError('OPERATOR_TOKEN_INVALID'));
    }
  });
  app.setNotFoundHandler(notFound);
}
