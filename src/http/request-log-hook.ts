// Feeds the dashboard's request log from the /api/v1 pipeline: one line per authenticated request, batched per key.
import type { FastifyInstance } from 'fastify';
import { isId } from '../lib/ids.ts';
import type { Services } from '../services.ts';

const maxPathLength = 300;

/** The path without its query string (which is never logged), bounded in length. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path.length > maxPathLength ? path.slice(0, maxPathLength) : path;
}

export function registerRequestLog(app: FastifyInstance, services: Services): void {
  const recorder = services.requestLog;
  // Synchronous on purpose: it only appends to an in-memory buffer, so it need not cost a promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    // Without a key there is no platform to show the row to (and a key in the URL never gets this far).
    const principal = request.principal;
    if (!principal || request.isUrlRedacted) return done();
    const scope = request.scope;
    let onBehalfOf: string | null;
    let accountId: string | null = null;
    if (scope !== undefined) {
      // The header, if any, was an account id of this platform's, or it would have no scope.
      onBehalfOf = scope.viaOnBehalfOf ? scope.accountId : null;
      if (!scope.isPlatformScope) accountId = scope.accountId;
    } else {
      // Stopped before it had a scope (a 4xx from authentication). Only a well-formed account id is kept: whatever
      // else a caller put in the header (even a secret) is not stored.
      const header = request.headers['x-on-behalf-of'];
      const named = typeof header === 'string' ? header.trim() : undefined;
      onBehalfOf = header === undefined ? null : named !== undefined && isId('account', named) ? named : 'invalid';
    }
    if (accountId === null) {
      const params = request.params as { id?: unknown } | undefined;
      const pathAccount = typeof params?.id === 'string' && isId('account', params.id) ? params.id : undefined;
      if (pathAccount && pathAccount !== principal.platformId) accountId = pathAccount;
    }
    const method = request.method;
    recorder.record(
      principal.environment,
      principal.platformId,
      principal.keyId,
      request.id as string,
      Date.now(),
      method.length > 10 ? method.slice(0, 10) : method,
      pathOf(request.url),
      reply.statusCode,
      reply.errorCode ?? null,
      accountId,
      onBehalfOf,
    );
    done();
  });
}
