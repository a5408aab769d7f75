// GET /metrics (Prometheus text) behind the operator token, or on PIK_METRICS_PORT without it; and the one onResponse
// hook that counts every answered request by route pattern, status and latency.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { operatorGate } from './admin/operator-auth.ts';

/** Error codes counted as authentication failures: refused credentials and addresses throttled for failing. */
const throttledCodes = new Set(['AUTHENTICATION_THROTTLED', 'SIGN_IN_THROTTLED']);

declare module 'fastify' {
  interface FastifyInstance {
    /** The port of the PIK_METRICS_PORT listener, once it listens; undefined without one. */
    metricsPort: number | undefined;
  }
}

/**
 * Registered first, at the root, so it sees every answer: routed, unmatched (404s, and 401s to unknown /api/v1 paths),
 * and refused by a hook. Per request it reads the route's pattern (never the URL, whose ids would make a series each)
 * and adds to two series found by one Map lookup (src/metrics.ts).
 */
export function registerRequestMetrics(app: FastifyInstance, services: Services): void {
  const metrics = services.metrics;
  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const route = request.is404 ? undefined : request.routeOptions;
    metrics.recordRequest(request.method, route?.url ?? 'unmatched', status, reply.elapsedTime / 1000);
    const code = reply.errorCode;
    if (status === 401 || (code !== undefined && throttledCodes.has(code))) {
      // The dashboard's sign-in page answers a wrong password with its form again (401), not an API error.
      metrics.recordAuthenticationFailure(code ?? 'SIGN_IN_FAILED');
    } else if (code === 'RATE_LIMITED') {
      metrics.recordRateLimited(route?.config.rateLimitGroup ?? 'general');
    }
    done();
  });
}

/** GET /metrics on the API's port, for the operator token only (a scraper sends it as a bearer token). */
export async function metricsRoute(app: FastifyInstance, services: Services): Promise<void> {
  app.addHook('onRequest', operatorGate(services));
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const { contentType, body } = await services.metrics.render();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });
}

/**
 * PIK_METRICS_PORT: a second listener on HOST that answers GET /metrics without a token — for a scraper on a network
 * the API's clients cannot reach (bind it where only Prometheus connects). Anything else is a 404.
 */
export async function startMetricsListener(app: FastifyInstance, services: Services, port: number): Promise<void> {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served on this port.\n');
      return;
    }
    services.metrics.render().then(
      ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body),
      (error: unknown) => {
        services.logger.error({ err: error }, 'could not render /metrics');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, services.config.host, () => resolve());
  });
  app.metricsPort = (server.address() as AddressInfo).port;
  app.addHook('onClose', async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
}
