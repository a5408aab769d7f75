// The answer to an address over its failed-authentication limit, the same from the API-key and operator-token gates.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthFailureLimiter } from '../auth/auth-failure-limiter.ts';
import { ApiError } from '../lib/errors.ts';
import { sendError } from './errors.ts';

export function sendAuthenticationThrottled(request: FastifyRequest, reply: FastifyReply, limiter: AuthFailureLimiter, retryAfterSeconds: number): FastifyReply {
  reply.header('retry-after', retryAfterSeconds);
  return sendError(request, reply, new ApiError('AUTHENTICATION_THROTTLED', undefined, { limit_per_minute: limiter.limit, retry_after_seconds: retryAfterSeconds }));
}
