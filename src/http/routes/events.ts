// /api/v1/events: the platform's events, newest first (x-on-behalf-of: one connected account's), and redelivery.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { getEvent, listEvents, redeliverEvent, type EventReader } from '../../domain/webhooks/event-log.ts';
import { eventTypes } from '../../domain/event-types.ts';
import { invalidField } from '../../lib/errors.ts';
import { parseInstant } from '../../lib/instants.ts';
import type { Scope } from '../../lib/actor.ts';
import type { Services } from '../../services.ts';
import { scopeOf } from '../api-auth.ts';
import { optionalBody } from '../optional-body.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { bearerSecurity, domainCheckedString, errorResponses, listBody, listOf, listQuery } from '../schemas.ts';
import { DeliverySchema, EventSchema, serializeDelivery, serializeEvent } from '../serializers/webhooks.ts';
import { ownerOf } from './webhooks.ts';

const EventIdParams = Type.Object({ id: Type.String({ maxLength: 100, description: 'An event id, evt_…' }) });

function readerOf(scope: Scope): EventReader {
  return { platformId: scope.platformId, environment: scope.environment, accountId: scope.isPlatformScope ? undefined : scope.accountId };
}

/** The instant filters, read like every other list's (src/lib/instants.ts): a date is its whole UTC day, both inclusive. */
function parseRange(from: string | undefined, to: string | undefined): { createdFrom?: Date; createdTo?: Date } {
  const read = (value: string | undefined, field: string) => {
    if (value === undefined) return undefined;
    const instant = parseInstant(value);
    if (!instant) throw invalidField(field, `${field} must be an ISO 8601 date or date-time, e.g. "2026-12-01" or "2026-12-01T09:30:00Z" (no offset means UTC).`);
    return instant;
  };
  const createdFrom = read(from, 'created_from')?.start;
  const createdTo = read(to, 'created_to')?.end;
  if (createdFrom && createdTo && createdFrom >= createdTo) throw invalidField('created_to', 'created_to must not be before created_from.');
  return { createdFrom, createdTo };
}

export async function eventRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Events'];

  app.get(
    '/events',
    {
      config: { scope: 'any', permission: 'events:read', rateLimitGroup: 'general' },
      schema: {
        summary: 'List events, newest first',
        description: 'With x-on-behalf-of, only the events about that connected account.',
        tags,
        security: bearerSecurity,
        querystring: listQuery({
          type: Type.Optional(domainCheckedString(eventTypes, { maxLength: 100 })),
          account_id: Type.Optional(Type.String({ maxLength: 100 })),
          created_from: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 date or date-time (UTC when no offset); events created at or after it.' })),
          created_to: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 date or date-time; events created up to it, inclusive (a date: its whole UTC day).' })),
        }),
        response: { 200: listOf(EventSchema), ...errorResponses },
      },
    },
    async (request) => {
      const scope = scopeOf(request);
      const q = request.query;
      const page = await listEvents(
        services,
        readerOf(scope),
        { type: q.type, accountId: q.account_id, ...parseRange(q.created_from, q.created_to) },
        { limit: q.limit, cursor: q.cursor },
      );
      return listBody(page.data.map((e) => serializeEvent(scope.environment, e)), page.nextCursor);
    },
  );

  app.get(
    '/events/:id',
    {
      config: { scope: 'any', permission: 'events:read', rateLimitGroup: 'general' },
      schema: { summary: 'Read an event', tags, security: bearerSecurity, params: EventIdParams, response: { 200: EventSchema, ...errorResponses } },
    },
    async (request) => {
      const scope = scopeOf(request);
      return serializeEvent(scope.environment, await getEvent(services, readerOf(scope), request.params.id));
    },
  );

  app.post(
    '/events/:id/redeliver',
    {
      config: { scope: 'platform', idempotent: true, permission: 'events:write', rateLimitGroup: 'general' },
      schema: {
        summary: 'Deliver an event again',
        description:
          'To one endpoint ({"endpoint_id": "we_…"}), or to every enabled endpoint that subscribes to its type. A delivery that exists keeps its webhook-id. Answers 202 with the queued deliveries.',
        tags,
        security: bearerSecurity,
        params: EventIdParams,
        response: { 202: listOf(DeliverySchema), ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const owner = ownerOf(request);
        const { endpoint_id: endpointId } = optionalBody(request, ['endpoint_id']);
        if (endpointId !== undefined && typeof endpointId !== 'string') throw invalidField('endpoint_id', 'endpoint_id must be a webhook endpoint id (we_…).');
        const deliveries = await redeliverEvent(services, work, owner, request.params.id, endpointId);
        return { status: 202, body: listBody(deliveries.map(serializeDelivery)) };
      }),
  );
}
