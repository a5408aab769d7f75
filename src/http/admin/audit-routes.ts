// /admin/v1/audit-log: a platform's audit entries, newest first, for the operator (and `pik audit list`).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { listAuditLog, parseAuditFilters } from '../../domain/audit/audit-log.ts';
import { auditActions } from '../../lib/audit-actions.ts';
import type { Services } from '../../services.ts';
import { listBody, listOf, listQuery, operatorSecurity } from '../schemas.ts';
import { AuditEntrySchema, serializeAuditEntry } from '../serializers/audit-entry.ts';

export async function adminAuditRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/audit-log',
    {
      schema: {
        summary: "A platform's audit log, newest first: key, dashboard, webhook and operator actions",
        tags: ['Operator'],
        security: operatorSecurity,
        querystring: listQuery({
          platform: Type.String({ maxLength: 100, description: 'The platform account id, acct_…' }),
          action: Type.Optional(Type.String({ maxLength: 100, description: `One action: ${auditActions.join(', ')}.` })),
          actor_type: Type.Optional(Type.String({ maxLength: 20, description: 'user, operator, api_key or system.' })),
          environment: Type.Optional(Type.String({ maxLength: 20 })),
          since: Type.Optional(Type.String({ maxLength: 40, description: 'Entries at or after this date-time.' })),
          until: Type.Optional(Type.String({ maxLength: 40, description: 'Entries before this date-time.' })),
        }),
        response: { 200: listOf(AuditEntrySchema) },
      },
    },
    async (request) => {
      const { platform, limit, cursor, ...raw } = request.query;
      const page = await listAuditLog(services, parseAuditFilters(platform, raw), { limit, cursor });
      return listBody(page.data.map(serializeAuditEntry), page.nextCursor);
    },
  );
}
