// Feeds the dashboard's request log from the /api/v1 pipeline: one metadata row per authenticated request, batched.
import type { FastifyInstance } from 'fastify';
import { isId } from '../lib/ids.ts';
import type { Services } from '../services.ts';

const maxPathLength = 300;

export function registerRequestLog(app: FastifyInstance, services: Services): void {
  // Synchronous on purpose: it only appends to an in-memory batch, so it need not cost a promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    // Without a key there is no platform to show the row to (and a key in the URL never gets this far).
    const principal = request.principal;
    if (!principal || request.isUrlRedacted) return done();
    const header = request.headers['x-on-behalf-of'];
    const named = typeof header === 'string' ? header.trim() : undefined;
    // Only a well-formed account id is kept: whatever else a caller puts in the header (even a secret) is not stored.
    const onBehalfOf = header === undefined ? null : named !== undefined && isId('account', named) ? named : 'invalid';
    const params = request.params as { id?: unknown } | undefined;
    const pathAccount = typeof params?.id === 'string' && isId('account', params.id) ? params.id : undefined;
    let accountId: string | null = null;
    if (request.scope && !request.scope.isPlatformScope) accountId = request.scope.accountId;
    else if (pathAccount && pathAccount !== principal.platformId) accountId = pathAccount;
    services.requestLog.record({
      id: String(request.id),
      environment: principal.environment,
      platformId: principal.platformId,
      keyId: principal.keyId,
      accountId,
      onBehalfOf,
      method: request.method.slice(0, 10),
      path: (request.url.split('?')[0] ?? '/').slice(0, maxPathLength),
      status: reply.statusCode,
      errorCode: reply.errorCode ?? null,
      at: services.now(),
    });
    done();
  });
}
