// Sign-in, sign-out, the one-time set-password / invitation link, and changing one's password.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../lib/errors.ts';
import { endSession, sessionAbsoluteTtlMs, switchPlatform } from '../../domain/users/sessions.ts';
import { auditSignIn, changePassword, readPasswordToken, setPasswordWithToken, signIn } from '../../domain/users/users.ts';
import type { Services } from '../../services.ts';
import { field, formOf, requireUser, safeNext, sendPage, runDashboardWork } from '../context.ts';
import { cookieOptions, csrfTokenFor, newCsrfSecret, type CookieNames } from '../security.ts';
import { invalidLinkView, passwordView, setPasswordView, signInView } from '../views/auth.ts';

/** The CSRF token for a signed-out form, creating its pre-session cookie when there is none. */
function publicCsrf(request: FastifyRequest, reply: FastifyReply, names: CookieNames): string {
  let secret = request.cookies[names.csrf];
  if (!secret || secret.length < 20 || secret.length > 100) {
    secret = newCsrfSecret();
    reply.setCookie(names.csrf, secret, cookieOptions(names));
  }
  return csrfTokenFor(secret);
}

export async function authRoutes(app: FastifyInstance, services: Services, names: CookieNames): Promise<void> {
  app.get('/sign-in', async (request, reply) => {
    if (request.dashboardUser) return reply.redirect('/dashboard', 303);
    const query = request.query as Record<string, unknown>;
    const notice =
      query.signed_out !== undefined ? 'You have signed out.' : query.password_set !== undefined ? 'Done. Sign in with your password.' : undefined;
    return sendPage(reply, signInView({ csrf: publicCsrf(request, reply, names), next: safeNext(query.next), ...(notice ? { notice } : {}) }));
  });

  app.post('/sign-in', { config: { isPublicForm: true } }, async (request, reply) => {
    const form = formOf(request);
    const email = field(form, 'email', 254);
    const next = safeNext(form.next);
    try {
      const session = await signIn(services, { email, password: field(form, 'password', 256), ip: request.ip });
      await runDashboardWork(services.db, request, (work) => auditSignIn(services, work, { email, outcome: { userId: session.userId, platformId: session.platformId } }));
      reply.setCookie(names.session, session.token, cookieOptions(names, Math.floor(sessionAbsoluteTtlMs / 1000)));
      return reply.redirect(next, 303);
    } catch (error) {
      if (error instanceof ApiError && (error.code === 'SIGN_IN_FAILED' || error.code === 'SIGN_IN_THROTTLED')) {
        // A wrong email or password is recorded; a throttled attempt is not: it checked nothing, and recording each
        // would give a flood of them the database write the throttle exists to spare.
        if (error.code === 'SIGN_IN_FAILED') await runDashboardWork(services.db, request, (work) => auditSignIn(services, work, { email, outcome: { failure: 'wrong_credentials' } }));
        if (error.code === 'SIGN_IN_THROTTLED') reply.header('retry-after', '900');
        return sendPage(reply, signInView({ csrf: publicCsrf(request, reply, names), email, error: error.message, next }), error.status);
      }
      throw error;
    }
  });

  app.post('/sign-out', async (request, reply) => {
    const { user } = requireUser(request);
    await endSession(services, user.sessionId);
    reply.clearCookie(names.session, cookieOptions(names));
    return reply.redirect('/dashboard/sign-in?signed_out=1', 303);
  });

  // The platform switcher: the session moves to another platform the person belongs to; any other id is a 404.
  app.post('/switch-platform', async (request, reply) => {
    const { user } = requireUser(request);
    const platformId = field(formOf(request), 'platform_id', 100);
    await runDashboardWork(services.db, request, (work) => switchPlatform(work, user, platformId));
    return reply.redirect('/dashboard', 303);
  });

  app.get('/set-password', async (request, reply) => {
    const token = String((request.query as Record<string, unknown>).token ?? '');
    try {
      const info = await readPasswordToken(services, token);
      return sendPage(reply, setPasswordView({ csrf: publicCsrf(request, reply, names), token, info }));
    } catch (error) {
      if (error instanceof ApiError && error.code === 'PASSWORD_TOKEN_INVALID') return sendPage(reply, invalidLinkView(error.message), 400);
      throw error;
    }
  });

  app.post('/set-password', { config: { isPublicForm: true } }, async (request, reply) => {
    const form = formOf(request);
    const token = field(form, 'token', 100);
    const password = field(form, 'new_password', 256);
    let info;
    try {
      info = await readPasswordToken(services, token);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'PASSWORD_TOKEN_INVALID') return sendPage(reply, invalidLinkView(error.message), 400);
      throw error;
    }
    const again = (message: string, status = 400) =>
      sendPage(reply, setPasswordView({ csrf: publicCsrf(request, reply, names), token, info, error: message }), status);
    if (password !== field(form, 'confirm_password', 256)) return again('The two passwords are not the same.');
    try {
      await runDashboardWork(services.db, request, (work) => setPasswordWithToken(services, work, token, password, request.ip));
    } catch (error) {
      if (error instanceof ApiError && ['INVALID_REQUEST', 'PASSWORD_INCORRECT', 'SIGN_IN_THROTTLED'].includes(error.code)) {
        if (error.code === 'SIGN_IN_THROTTLED') reply.header('retry-after', '900');
        return again(error.message, error.status);
      }
      if (error instanceof ApiError && error.code === 'PASSWORD_TOKEN_INVALID') return sendPage(reply, invalidLinkView(error.message), 400);
      throw error;
    }
    // One destination whether a password was chosen or an existing one confirmed.
    return reply.redirect('/dashboard/sign-in?password_set=1', 303);
  });

  app.get('/settings/password', async (request, reply) => {
    const ctx = { ...requireUser(request), active: 'password' as const };
    return sendPage(reply, passwordView(ctx, {}));
  });

  app.post('/settings/password', async (request, reply) => {
    const ctx = { ...requireUser(request), active: 'password' as const };
    const form = formOf(request);
    const newPassword = field(form, 'new_password', 256);
    if (newPassword !== field(form, 'confirm_password', 256)) {
      return sendPage(reply, passwordView(ctx, { error: 'The two new passwords are not the same.' }), 400);
    }
    try {
      await runDashboardWork(services.db, request, (work) =>
        changePassword(services, work, ctx.user, { currentPassword: field(form, 'current_password', 256), newPassword, ip: request.ip }),
      );
    } catch (error) {
      if (error instanceof ApiError && ['INVALID_REQUEST', 'PASSWORD_INCORRECT', 'SIGN_IN_THROTTLED'].includes(error.code)) {
        return sendPage(reply, passwordView(ctx, { error: error.message }), error.status);
      }
      throw error;
    }
    return sendPage(reply, passwordView(ctx, { notice: 'Your password is changed. Your other sessions have been signed out.' }));
  });
}
