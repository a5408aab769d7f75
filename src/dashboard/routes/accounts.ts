// Accounts pages: search the platform's connected accounts per environment; one account with its money and requests.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { readAccountMoney } from '../../domain/dashboard/account-money.ts';
import { getPlatformAccount, searchAccounts } from '../../domain/dashboard/accounts-view.ts';
import { listRequestLog } from '../../domain/request-log/request-log.ts';
import type { Services } from '../../services.ts';
import { environmentParam, requireUser, sendPage } from '../context.ts';
import { accountsView, accountView } from '../views/accounts.ts';

export async function accountRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const served = services.config.environments;
  const context = (request: FastifyRequest) => {
    const { user, csrf } = requireUser(request);
    const environment = environmentParam((request.params as { environment?: string }).environment, served);
    return { user, csrf, environment, active: 'accounts' as const };
  };

  app.get('/accounts', async (request, reply) => {
    requireUser(request);
    return reply.redirect(`/dashboard/accounts/${served.includes('sandbox') ? 'sandbox' : served[0]}`, 303);
  });

  app.get('/accounts/:environment', async (request, reply) => {
    const ctx = context(request);
    const query = request.query as Record<string, unknown>;
    const q = typeof query.q === 'string' ? query.q.slice(0, 254) : '';
    const cursor = typeof query.cursor === 'string' && query.cursor.length < 200 ? query.cursor : undefined;
    const result = await searchAccounts(services, ctx.user, { environment: ctx.environment, query: q, cursor });
    return sendPage(reply, accountsView(ctx, { environment: ctx.environment, served, query: q, accounts: result.data, nextCursor: result.nextCursor }));
  });

  app.get('/accounts/:environment/:accountId', async (request, reply) => {
    const ctx = context(request);
    const accountId = String((request.params as { accountId: string }).accountId);
    const account = await getPlatformAccount(services, ctx.user, ctx.environment, accountId);
    const money = await readAccountMoney(services, ctx.environment, account, 50);
    const requests =
      account.type === 'connected'
        ? await listRequestLog(services, { platformId: ctx.user.platformId, environment: ctx.environment, accountId: account.id, limit: 50 })
        : [];
    return sendPage(reply, accountView(ctx, account, ctx.environment, money, requests));
  });
}
