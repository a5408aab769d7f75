// The PIK Dashboard: server-rendered pages under /dashboard, session-authenticated, with a strict CSP and CSRF on every POST.
import fs from 'node:fs';
import cookie from '@fastify/cookie';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError } from '../lib/errors.ts';
import { databaseUnavailable } from '../db/errors.ts';
import { resolveSession } from '../domain/users/sessions.ts';
import type { Services } from '../services.ts';
import { safeNext, sendPage, sessionCsrfSecret } from './context.ts';
import { accountRoutes } from './routes/accounts.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { auditLogRoutes } from './routes/audit-log.ts';
import { authRoutes } from './routes/auth.ts';
import { eventRoutes } from './routes/events.ts';
import { paymentLinkRoutes } from './routes/payment-links.ts';
import { teamRoutes } from './routes/team.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { applySecurityHeaders, cookieNames, cookieOptions, isCrossSite, isCsrfTokenValid } from './security.ts';
import { errorView } from './views/auth.ts';

// A Map, looked up by a name from the URL: a plain object would answer "__proto__" or "constructor" with its prototype's.
const assets = new Map([
  ['app.css', { type: 'text/css; charset=utf-8', body: fs.readFileSync(new URL('./public/app.css', import.meta.url)) }],
  ['app.js', { type: 'text/javascript; charset=utf-8', body: fs.readFileSync(new URL('./public/app.js', import.meta.url)) }],
]);

const maxFormBytes = 16 * 1024;
const maxFormFields = 30;

export async function dashboard(app: FastifyInstance, services: Services): Promise<void> {
  const names = cookieNames(services.config.publicUrl);
  await app.register(cookie);

  // Dashboard pages are not part of the API reference.
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });

  // HTML forms only (JSON and the rest are 415); a repeated field keeps its first value, so no handler ever sees an array.
  // Without a prototype, a field named "__proto__" or "constructor" is just a field, and an absent one is undefined.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: maxFormBytes }, (_request, body, done) => {
    const form: Record<string, string> = Object.create(null) as Record<string, string>;
    let count = 0;
    for (const [name, value] of new URLSearchParams(String(body))) {
      if (++count > maxFormFields) return done(new ApiError('INVALID_REQUEST', 'The form has too many fields.'), undefined);
      if (!Object.hasOwn(form, name)) form[name] = value;
    }
    done(null, form);
  });

  app.addHook('onRequest', async (request, reply) => {
    applySecurityHeaders(reply, names.isSecure);
    if (request.url.startsWith('/dashboard/assets/')) return; // static files need no session lookup
    const token = request.cookies[names.session];
    if (token) {
      const user = await resolveSession(services, token);
      if (user) {
        request.dashboardUser = user;
        request.sessionToken = token;
      }
    }
  });

  // Every state change carries a CSRF token bound to the session (or, signed out, to the pre-session cookie).
  app.addHook('preHandler', async (request) => {
    if (request.method === 'GET' || request.method === 'HEAD') return;
    if (request.is404) return; // no such page: the not-found handler answers, nothing changes
    if (isCrossSite(request, services.config.publicUrl)) throw new ApiError('CSRF_TOKEN_INVALID');
    const submitted = (request.body as Record<string, string> | undefined)?.csrf;
    if (request.routeOptions.config.isPublicForm) {
      if (!isCsrfTokenValid(request.cookies[names.csrf], submitted)) throw new ApiError('CSRF_TOKEN_INVALID');
      return;
    }
    if (!request.dashboardUser) throw new ApiError('SESSION_REQUIRED');
    if (!isCsrfTokenValid(sessionCsrfSecret(request), submitted)) throw new ApiError('CSRF_TOKEN_INVALID');
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiError && error.code === 'SESSION_REQUIRED') {
      if (request.method === 'GET' && !request.dashboardUser) {
        const next = safeNext(request.url.split('?')[0]);
        return reply.redirect(`/dashboard/sign-in${next === '/dashboard' ? '' : `?next=${encodeURIComponent(next)}`}`, 303);
      }
      reply.clearCookie(names.session, cookieOptions(names));
      return sendPage(reply, errorView(401, 'Signed out', error.message, { href: '/dashboard/sign-in', label: 'Sign in' }), 401);
    }
    if (error instanceof ApiError && error.status < 500) {
      const titles: Record<number, string> = { 400: 'Not valid', 403: 'Not allowed', 404: 'Not found', 409: 'Conflict', 422: 'Not possible', 429: 'Slow down' };
      return sendPage(reply, errorView(error.status, titles[error.status] ?? 'Not possible', error.message), error.status);
    }
    const unavailable = databaseUnavailable(error);
    if (unavailable) {
      request.log.warn({ code: unavailable.code }, 'database unavailable');
      reply.header('retry-after', String(unavailable.retryAfterSeconds));
      return sendPage(reply, errorView(503, 'Unavailable', 'PIK cannot reach its database just now. Try again in a few seconds.'), 503);
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error }, 'dashboard request failed');
      return sendPage(reply, errorView(500, 'Something went wrong', `Something went wrong on our side. Try again; quote request id ${request.id} if it persists.`), 500);
    }
    const message = status === 413 ? 'The form is too large.' : status === 415 ? 'Submit the form from the dashboard.' : 'The request is not valid.';
    return sendPage(reply, errorView(status, 'Not valid', message), status);
  });

  // Which pages exist is for signed-in users: signed out, an unknown page (or method) is sent to sign in like a known one.
  app.setNotFoundHandler((request, reply) => {
    if (!request.dashboardUser) throw new ApiError('SESSION_REQUIRED');
    return sendPage(reply, errorView(404, 'Not found', 'There is no such page in the dashboard.'), 404);
  });

  app.get('/assets/:name', async (request, reply) => {
    const asset = assets.get((request.params as { name: string }).name);
    if (!asset) return sendPage(reply, errorView(404, 'Not found', 'No such file.'), 404);
    return reply.type(asset.type).header('cache-control', 'public, max-age=300').send(asset.body);
  });

  app.get('/', async (request, reply) => {
    const served = services.config.environments;
    const env = served.includes('sandbox') ? 'sandbox' : (served[0] ?? 'sandbox');
    return reply.redirect(request.dashboardUser ? `/dashboard/settings/api-keys/${env}` : '/dashboard/sign-in', 303);
  });

  await authRoutes(app, services, names);
  await apiKeyRoutes(app, services);
  await webhookRoutes(app, services);
  await eventRoutes(app, services);
  await accountRoutes(app, services);
  await paymentLinkRoutes(app, services);
  await teamRoutes(app, services);
  await auditLogRoutes(app, services);
}
