// buildApp: the HTTP server — plugins in order, then one route module per resource.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyContextConfig, type FastifyInstance } from 'fastify';
import findMyWay, { type HTTPMethod } from 'find-my-way';
import { ApiError } from './lib/errors.ts';
import { newId } from './lib/ids.ts';
import type { Services } from './services.ts';
import { dashboard } from './dashboard/index.ts';
import { hostedPaymentPages } from './dashboard/pay/routes.ts';
import { operatorIdempotencyOwner, registerOperatorAuth } from './http/admin/operator-auth.ts';
import { adminOnboardingRoutes } from './http/admin/onboarding-routes.ts';
import { adminMoneyRoutes } from './http/admin/money-routes.ts';
import { adminFxRoutes } from './http/admin/fx-routes.ts';
import { adminPlatformRoutes } from './http/admin/platform-routes.ts';
import { adminAuditRoutes } from './http/admin/audit-routes.ts';
import { adminBackupRoutes } from './http/admin/backup-routes.ts';
import { registerApiKeyAuth } from './http/api-auth.ts';
import { notFoundHandler, registerErrorHandling, sendError } from './http/errors.ts';
import { answerClientError, frameworkErrorOptions, registerFrameworkErrors } from './http/framework-errors.ts';
import { registerHealth } from './http/health.ts';
import { registerInputHygiene } from './http/input-hygiene.ts';
import { registerJsonBody } from './http/json-body.ts';
import { registerIdempotency } from './http/idempotency.ts';
import { refuseKeyInUrl, registerRequestContext } from './http/request-context.ts';
import { registerRequestLog } from './http/request-log-hook.ts';
import { registerSingleHeaders } from './http/single-headers.ts';
import { accountRoutes } from './http/routes/accounts.ts';
import { onboardingRoutes } from './http/routes/onboarding.ts';
import { sandboxRoutes } from './http/routes/sandbox.ts';
import { payoutRoutes } from './http/routes/payouts.ts';
import { sandboxMoneyRoutes } from './http/routes/sandbox-money.ts';
import { transferRoutes } from './http/routes/transfers.ts';
import { fxRoutes } from './http/routes/fx.ts';
import { virtualAccountRoutes } from './http/routes/virtual-accounts.ts';
import { walletRoutes } from './http/routes/wallets.ts';
import { webhookRoutes } from './http/routes/webhooks.ts';
import { eventRoutes } from './http/routes/events.ts';
import { secretScanningRoutes } from './http/secret-scanning.ts';
import { paymentLinkRoutes } from './http/routes/payment-links.ts';
import { registerOpenApiDocuments, serveOperatorDocument } from './http/openapi.ts';
import { metricsRoute, registerRequestMetrics, startMetricsListener } from './http/metrics.ts';
import { ErrorCodeSchema, ErrorResponse } from './http/schemas.ts';
import { compileDeferredSchemas, deferredSerializers, registerValidation, type DeferredSchemas } from './http/validation.ts';

export interface DeclaredRoute {
  method: string;
  url: string;
  config: FastifyContextConfig;
  /** The route's schema as declared (test/openapi.test.ts checks each against JSON Schema's meta-schema). */
  schema: unknown;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as registered, with its config (scope, rate-limit group, idempotency). */
    declaredRoutes: readonly DeclaredRoute[];
    /** Compiles, in the background, the route schemas no request has needed yet (src/http/validation.ts). */
    compileDeferredSchemas(): Promise<void>;
  }
}

/** Trust the nearest `hops` proxies, as proxy-addr counts them. */
function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

export async function buildApp(services: Services): Promise<FastifyInstance> {
  const deferredSchemas: DeferredSchemas = new Set();
  const app = Fastify({
    schemaController: deferredSerializers(deferredSchemas),
    loggerInstance: services.logger as FastifyBaseLogger,
    // One line per request, written by request-context without secrets, instead of Fastify's two with the raw URL.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: () => newId('request'),
    requestIdHeader: false, // never trust a caller-chosen request id
    bodyLimit: services.config.bodyLimitBytes,
    // Off unless configured: otherwise anyone could choose their own IP with X-Forwarded-For.
    trustProxy: typeof services.config.trustProxy === 'number' ? trustHops(services.config.trustProxy) : services.config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
    // "__proto__" / "constructor.prototype" keys are dropped while parsing (they are never a PIK field), so such a
    // body is validated like any other and gets a 400 naming the field it lacks, not a bare INVALID_JSON.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    // What Node and Fastify would answer in their own shape (a bad request line, a header too large, a timeout, no
    // Host, shutting down) is answered in ours, with a request id: src/http/framework-errors.ts.
    ...frameworkErrorOptions,
    // Every request's headers and body must arrive within PIK_REQUEST_TIMEOUT_MS; Node checks its connections every
    // tenth of that (its default, every 30 s, would let a slow body run far past it) and reports a late one to
    // clientErrorHandler, which answers 408 REQUEST_TIMEOUT in our shape and closes the connection.
    requestTimeout: services.config.requestTimeoutMs,
    http: {
      ...frameworkErrorOptions.http,
      headersTimeout: Math.min(60_000, services.config.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(services.config.requestTimeoutMs / 10))),
    },
    clientErrorHandler: (error, socket) => answerClientError(services.logger as FastifyBaseLogger, error, socket),
    // Errors Fastify raises before routing (broken percent-encoding, a path parameter over 100 characters) leave in
    // our shape too.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      // These skip the onRequest hooks, so the key-in-URL guard runs here too ("%70ik_test_…%zz" must not slip by).
      if (refuseKeyInUrl(services, request, reply)) return;
      const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A part of the URL path is longer than 100 characters.' : 'The URL is not valid: check its percent-encoding.';
      return sendError(request, reply, new ApiError('INVALID_REQUEST', message, { field: 'url', reason: error.code }));
    },
  });

  // Every route is also put in a shadow router, so a known path with the wrong method is a 405 with Allow, not a 404.
  const shadow = findMyWay();
  // …and listed with its declaration, for the checks that every route states its security (test/route-security.test.ts).
  const declared: DeclaredRoute[] = [];
  app.decorate('declaredRoutes', declared);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      shadow.on(method as HTTPMethod, route.url, () => undefined);
      declared.push({ method, url: route.url, config: route.config ?? {}, schema: route.schema });
    }
  });
  const allowedMethods = (url: string): string[] => {
    const path = url.split('?')[0] ?? '/';
    return (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).filter((m) => shadow.find(m, path) !== null);
  };

  // Properties the pipeline sets on every request, declared up front so each request object is built with them:
  // adding them later changes the object's shape per request, which costs every property access after it.
  app.decorateRequest('principal', undefined);
  app.decorateRequest('scope', undefined);
  app.decorateRequest('isUrlRedacted', undefined);
  app.decorateRequest('isOperator', undefined);
  app.decorateReply('errorCode', undefined);

  // JSON is the only body the API speaks; anything else is a 415 rather than a string that fails validation later.
  app.removeContentTypeParser('text/plain');
  registerJsonBody(app);
  registerValidation(app, deferredSchemas);
  app.decorate('compileDeferredSchemas', () => compileDeferredSchemas(deferredSchemas));
  app.decorate('metricsPort', undefined);
  registerRequestMetrics(app, services);
  registerInputHygiene(app);
  registerErrorHandling(app, allowedMethods);
  registerRequestContext(app, services);
  registerSingleHeaders(app);
  registerFrameworkErrors(app);
  app.addSchema(ErrorCodeSchema);
  app.addSchema(ErrorResponse);

  await registerOpenApiDocuments(app, services.config.publicUrl);
  // /api/v1 and /admin/v1 answer 404/405 themselves, after their credential check (see registerApiKeyAuth).
  const notFound = notFoundHandler(allowedMethods);

  // Outside /api/v1, without a key: for load balancers, and for scripts that wait for the start (documented in the
  // API reference's introduction and the README).
  registerHealth(app, services);
  // The first URL `npm start` prints. A browser lands on the dashboard (its sign-in); anything else gets the map.
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    if (request.headers.accept?.includes('text/html')) return reply.redirect('/dashboard', 303);
    return { name: 'PIK', api: '/api/v1', reference: '/docs', openapi: '/api/v1/openapi.json', dashboard: '/dashboard', health: '/health' };
  });

  await app.register(
    async (api) => {
      registerApiKeyAuth(api, services, notFound);
      registerRequestLog(api, services);
      registerIdempotency(api, services); // before the routes: it wraps the handlers of `idempotent` routes
      await accountRoutes(api, services);
      await onboardingRoutes(api, services);
      await sandboxRoutes(api, services);
      await walletRoutes(api, services);
      await transferRoutes(api, services);
      await payoutRoutes(api, services);
      await fxRoutes(api, services);
      await virtualAccountRoutes(api, services);
      await sandboxMoneyRoutes(api, services);
      await webhookRoutes(api, services);
      await eventRoutes(api, services);
      await paymentLinkRoutes(api, services);
    },
    { prefix: '/api/v1' },
  );

  await app.register(
    async (admin) => {
      registerOperatorAuth(admin, services, notFound);
      serveOperatorDocument(admin);
      registerIdempotency(admin, services, operatorIdempotencyOwner); // the operator's money writes replay like /api/v1's
      await adminPlatformRoutes(admin, services);
      await adminOnboardingRoutes(admin, services);
      await adminMoneyRoutes(admin, services);
      await adminFxRoutes(admin, services);
      await adminAuditRoutes(admin, services);
      await adminBackupRoutes(admin, services);
    },
    { prefix: '/admin/v1' },
  );

  await app.register(async (scanning) => secretScanningRoutes(scanning, services), { prefix: '/secret-scanning/v1' });
  await app.register(async (scrape) => metricsRoute(scrape, services));
  if (services.config.metricsPort !== undefined) await startMetricsListener(app, services, services.config.metricsPort);

  await app.register(async (ui) => dashboard(ui, services), { prefix: '/dashboard' });
  await app.register(async (pay) => hostedPaymentPages(pay, services), { prefix: '/pay' });

  return app;
}
