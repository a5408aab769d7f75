// Settings › API Keys: list per environment, generate (secret shown once), delete with confirmation, requests per key.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Environment } from '../../lib/environments.ts';
import { runUnitOfWork } from '../../db/unit-of-work.ts';
import { createApiKey, deleteApiKey, listApiKeys, type KeyActor } from '../../domain/api-keys/api-keys.ts';
import { ApiError } from '../../lib/errors.ts';
import { listRequestLog } from '../../domain/request-log/request-log.ts';
import type { DashboardUser } from '../../domain/users/sessions.ts';
import { confirmPassword, userEmails } from '../../domain/users/users.ts';
import type { Services } from '../../services.ts';
import { environmentParam, field, formOf, requireUser, sendPage } from '../context.ts';
import { FormOnce } from '../form-once.ts';
import { apiKeysView, confirmDeleteView, keyRequestsView, type ApiKeysView } from '../views/api-keys.ts';

function keyActor(user: DashboardUser): KeyActor {
  return { kind: 'user', userId: user.userId, platformId: user.platformId };
}

export async function apiKeyRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const served = services.config.environments;
  const generateForms = new FormOnce();

  const context = (request: FastifyRequest) => {
    const { user, csrf } = requireUser(request);
    const environment = environmentParam((request.params as { environment?: string }).environment, served);
    return { user, csrf, environment, active: 'keys' as const };
  };

  /** The platform's keys in one environment, "last used" including this process's uses not written yet. */
  const keysOf = async (user: DashboardUser, environment: Environment) =>
    (await listApiKeys(services, keyActor(user), user.platformId, environment)).map((key) => services.keyUsage.withPending(key));

  const baseView = async (user: DashboardUser, environment: Environment): Promise<ApiKeysView> => ({
    environment,
    served,
    keys: await keysOf(user, environment),
    creators: await userEmails(services, user.platformId),
    publicUrl: services.config.publicUrl,
    flushSeconds: services.config.keyUsageFlushSeconds,
    formId: generateForms.newId(),
  });

  /** A key of the signed-in user's platform in this environment, or 404 (another platform's key does not exist here). */
  const findKey = async (user: DashboardUser, environment: Environment, keyId: string) => {
    const key = (await keysOf(user, environment)).find((k) => k.id === keyId);
    if (!key) throw new ApiError('API_KEY_NOT_FOUND');
    return key;
  };

  app.get('/settings/api-keys', async (request, reply) => {
    requireUser(request);
    return reply.redirect(`/dashboard/settings/api-keys/${served.includes('sandbox') ? 'sandbox' : served[0]}`, 303);
  });

  app.get('/settings/api-keys/:environment', async (request, reply) => {
    const ctx = context(request);
    const view = await baseView(ctx.user, ctx.environment);
    const deletedId = (request.query as Record<string, unknown>).deleted;
    const deleted = typeof deletedId === 'string' ? view.keys.find((k) => k.id === deletedId && k.revoked_at) : undefined;
    if (deleted) view.notice = `Deleted “${deleted.name}” (${deleted.hint}). Requests with it now fail with 401 API_KEY_REVOKED.`;
    return sendPage(reply, apiKeysView(ctx, view));
  });

  app.post('/settings/api-keys/:environment', async (request, reply) => {
    const ctx = context(request);
    const form = formOf(request);
    const name = field(form, 'name', 100).trim();
    const formId = field(form, 'form_id', 64);
    if (!generateForms.claim(ctx.user.sessionId, formId)) {
      const view = await baseView(ctx.user, ctx.environment);
      view.notice = 'This form was already sent, so no second key was generated. The key it created is in the list; its secret was shown once.';
      return sendPage(reply, apiKeysView(ctx, view), 409);
    }
    const fail = async (message: string, status: number) => {
      generateForms.release(ctx.user.sessionId, formId);
      return sendPage(reply, apiKeysView(ctx, { ...(await baseView(ctx.user, ctx.environment)), error: message, formName: name }), status);
    };
    if (name.length === 0) return fail('Give the key a name, such as the service that will use it.', 400);
    if (ctx.environment === 'production') {
      try {
        await confirmPassword(services, ctx.user, field(form, 'password', 256), request.ip);
      } catch (error) {
        if (error instanceof ApiError && (error.code === 'PASSWORD_INCORRECT' || error.code === 'SIGN_IN_THROTTLED')) return fail(error.message, error.status);
        throw error;
      }
    }
    let created;
    try {
      created = await runUnitOfWork(services.db, (work) => createApiKey(services, work, keyActor(ctx.user), { platformId: ctx.user.platformId, environment: ctx.environment, name }));
    } catch (error) {
      generateForms.release(ctx.user.sessionId, formId);
      throw error;
    }
    // The secret goes into this one response (no-store) and nowhere else: not a redirect, a session or a log line.
    return sendPage(reply, apiKeysView(ctx, { ...(await baseView(ctx.user, ctx.environment)), created }), 201);
  });

  app.get('/settings/api-keys/:environment/:keyId/delete', async (request, reply) => {
    const ctx = context(request);
    const key = await findKey(ctx.user, ctx.environment, String((request.params as { keyId: string }).keyId));
    if (key.revoked_at) return reply.redirect(`/dashboard/settings/api-keys/${ctx.environment}`, 303);
    return sendPage(reply, confirmDeleteView(ctx, key));
  });

  app.post('/settings/api-keys/:environment/:keyId/delete', async (request, reply) => {
    const ctx = context(request);
    const key = await findKey(ctx.user, ctx.environment, String((request.params as { keyId: string }).keyId));
    try {
      await runUnitOfWork(services.db, (work) => deleteApiKey(services, work, keyActor(ctx.user), key.id));
    } catch (error) {
      // Deleted meanwhile (another tab, a teammate): the outcome the user wanted already holds.
      if (!(error instanceof ApiError && error.code === 'API_KEY_ALREADY_DELETED')) throw error;
    }
    return reply.redirect(`/dashboard/settings/api-keys/${ctx.environment}?deleted=${encodeURIComponent(key.id)}`, 303);
  });

  app.get('/settings/api-keys/:environment/:keyId/requests', async (request, reply) => {
    const ctx = context(request);
    const key = await findKey(ctx.user, ctx.environment, String((request.params as { keyId: string }).keyId));
    const rows = await listRequestLog(services, { platformId: ctx.user.platformId, environment: ctx.environment, keyId: key.id, limit: 100 });
    return sendPage(reply, keyRequestsView(ctx, key, rows));
  });
}
