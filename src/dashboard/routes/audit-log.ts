// Settings › Audit log: the platform's entries with filters and paging, and the CSV export of the same selection.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { auditLogCsv, listAuditLog, parseAuditFilters } from '../../domain/audit/audit-log.ts';
import { userEmails } from '../../domain/users/users.ts';
import { ApiError } from '../../lib/errors.ts';
import type { Services } from '../../services.ts';
import { requireUser, sendPage } from '../context.ts';
import { auditLogView } from '../views/audit-log.ts';

const filterNames = ['action', 'actor_type', 'environment', 'since', 'until'] as const;

function filtersOf(request: FastifyRequest): Record<(typeof filterNames)[number], string> {
  const query = request.query as Record<string, unknown>;
  return Object.fromEntries(filterNames.map((n) => [n, typeof query[n] === 'string' ? (query[n] as string).slice(0, 60) : ''])) as Record<(typeof filterNames)[number], string>;
}

export async function auditLogRoutes(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/settings/audit-log', async (request, reply) => {
    const ctx = { ...requireUser(request), active: 'audit' as const };
    const filters = filtersOf(request);
    const cursorParam = (request.query as Record<string, unknown>).cursor;
    const cursor = typeof cursorParam === 'string' && cursorParam.length <= 200 ? cursorParam : undefined;
    const base = { filters, served: services.config.environments, people: await userEmails(services, ctx.user.platformId) };
    try {
      const page = await listAuditLog(services, parseAuditFilters(ctx.user.platformId, filters), { limit: 50, cursor });
      return sendPage(reply, auditLogView(ctx, { ...base, rows: page.data, nextCursor: page.nextCursor, isFirstPage: cursor === undefined }));
    } catch (error) {
      if (error instanceof ApiError && (error.code === 'INVALID_REQUEST' || error.code === 'INVALID_CURSOR')) {
        return sendPage(reply, auditLogView(ctx, { ...base, rows: [], nextCursor: null, isFirstPage: true, error: error.message }), 400);
      }
      throw error;
    }
  });

  app.get('/settings/audit-log.csv', async (request, reply) => {
    const { user } = requireUser(request);
    const csv = await auditLogCsv(services, parseAuditFilters(user.platformId, filtersOf(request)));
    const day = services.now().toISOString().slice(0, 10);
    return reply
      .type('text/csv; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-disposition', `attachment; filename="pik-audit-log-${user.platformId}-${day}.csv"`)
      .send(csv);
  });
}
