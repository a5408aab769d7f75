// Settings › Team: list members, invite (one-time link), remove (their sessions end at once).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../lib/errors.ts';
import { inviteUser, listTeam, removeUser } from '../../domain/users/users.ts';
import type { Services } from '../../services.ts';
import { field, formOf, requireUser, sendPage, runDashboardWork } from '../context.ts';
import { confirmRemoveView, teamView } from '../views/team.ts';

export async function teamRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const context = (request: FastifyRequest) => ({ ...requireUser(request), active: 'team' as const });

  app.get('/settings/team', async (request, reply) => {
    const ctx = context(request);
    const removed = (request.query as Record<string, unknown>).removed;
    const notice = removed !== undefined ? 'The member was removed and signed out of this platform.' : undefined;
    return sendPage(reply, teamView(ctx, { members: await listTeam(services, ctx.user), notice }));
  });

  app.post('/settings/team/invite', async (request, reply) => {
    const ctx = context(request);
    const email = field(formOf(request), 'email', 254);
    try {
      const invited = await runDashboardWork(services.db, request, (work) => inviteUser(services, work, ctx.user, email));
      return sendPage(reply, teamView(ctx, { members: await listTeam(services, ctx.user), invited }), 201);
    } catch (error) {
      if (error instanceof ApiError && (error.code === 'INVALID_REQUEST' || error.code === 'EMAIL_TAKEN')) {
        return sendPage(reply, teamView(ctx, { members: await listTeam(services, ctx.user), error: error.message, formEmail: email }), error.status);
      }
      throw error;
    }
  });

  const findMember = async (request: FastifyRequest, ctx: ReturnType<typeof context>) => {
    const userId = String((request.params as { userId: string }).userId);
    const member = (await listTeam(services, ctx.user)).find((m) => m.id === userId);
    if (!member) throw new ApiError('USER_NOT_FOUND');
    return member;
  };

  app.get('/settings/team/:userId/remove', async (request, reply) => {
    const ctx = context(request);
    if (ctx.user.role !== 'owner') throw new ApiError('OWNER_REQUIRED');
    return sendPage(reply, confirmRemoveView(ctx, await findMember(request, ctx)));
  });

  app.post('/settings/team/:userId/remove', async (request, reply) => {
    const ctx = context(request);
    await runDashboardWork(services.db, request, (work) => removeUser(services, work, ctx.user, String((request.params as { userId: string }).userId)));
    return reply.redirect('/dashboard/settings/team?removed=1', 303);
  });
}
