// Developers › Events: the platform's event log per environment (type filter, cursor paging), one event's payload and
// its deliveries, and Resend — to one endpoint, or to every endpoint subscribed to the type.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { readEventDeliveries } from '../../domain/dashboard/webhooks-view.ts';
import { eventTypes } from '../../domain/event-types.ts';
import { deliveryBody } from '../../domain/webhooks/dispatcher.ts';
import type { WebhookOwner } from '../../domain/webhooks/endpoints.ts';
import { listEvents, redeliverEvent } from '../../domain/webhooks/event-log.ts';
import type { Environment } from '../../lib/environments.ts';
import { ApiError } from '../../lib/errors.ts';
import { isId } from '../../lib/ids.ts';
import type { Services } from '../../services.ts';
import { environmentParam, field, formOf, requireUser, sendPage, runDashboardWork } from '../context.ts';
import { eventPageView, eventsBase, eventsListView } from '../views/events.ts';
import type { PageContext } from '../views/layout.ts';
import { formMessage, isShownOnForm } from './webhooks.ts';

const eventsPerPage = 50;

export async function eventRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const served = services.config.environments;

  const context = (request: FastifyRequest) => {
    const { user, csrf } = requireUser(request);
    const environment = environmentParam((request.params as { environment?: string }).environment, served);
    const owner: WebhookOwner = { platformId: user.platformId, environment };
    const ctx: PageContext & { environment: Environment } = { user, csrf, environment, active: 'events' };
    return { ctx, owner };
  };

  /** The event of the URL, or 404: a malformed id is one no event has, like another platform's. */
  const eventIdOf = (request: FastifyRequest) => {
    const id = String((request.params as { eventId: string }).eventId);
    if (!isId('event', id)) throw new ApiError('EVENT_NOT_FOUND');
    return id;
  };

  const eventView = async (owner: WebhookOwner, eventId: string) => {
    const { event, deliveries } = await readEventDeliveries(services, owner, eventId);
    const payload = JSON.stringify(JSON.parse(deliveryBody(owner.environment, event)), null, 2);
    return { environment: owner.environment, event, payload, deliveries };
  };

  app.get('/developers/events', async (request, reply) => {
    requireUser(request);
    return reply.redirect(`/dashboard/developers/events/${served.includes('sandbox') ? 'sandbox' : served[0]}`, 303);
  });

  app.get('/developers/events/:environment', async (request, reply) => {
    const { ctx, owner } = context(request);
    const query = request.query as Record<string, unknown>;
    // Only a type of the catalogue filters; anything else in the URL is ignored rather than an error page.
    const type = typeof query.type === 'string' && (eventTypes as readonly string[]).includes(query.type) ? query.type : undefined;
    const cursor = typeof query.cursor === 'string' && query.cursor !== '' ? query.cursor.slice(0, 200) : undefined;
    const page = await listEvents(services, owner, { type }, { limit: eventsPerPage, cursor });
    return sendPage(reply, eventsListView(ctx, { environment: owner.environment, served, type, events: page.data, nextCursor: page.nextCursor, isFirstPage: cursor === undefined }));
  });

  app.get('/developers/events/:environment/:eventId', async (request, reply) => {
    const { ctx, owner } = context(request);
    const view = await eventView(owner, eventIdOf(request));
    const resentParam = (request.query as Record<string, unknown>).resent;
    const resent = typeof resentParam === 'string' && /^\d{1,3}$/.test(resentParam) ? Number(resentParam) : undefined;
    const notice =
      resent !== undefined
      ? resent === 0
        ? 'No enabled endpoint is subscribed to this event type, so nothing was queued.'
        : `Queued again to ${resent} endpoint${resent === 1 ? '' : 's'}. The new attempts appear below within moments; reload to see them.`
      : undefined;
    return sendPage(reply, eventPageView(ctx, { ...view, notice }));
  });

  app.post('/developers/events/:environment/:eventId/resend', async (request, reply) => {
    const { ctx, owner } = context(request);
    const eventId = eventIdOf(request);
    const endpointId = field(formOf(request), 'endpoint_id', 100);
    try {
      const queued = await runDashboardWork(services.db, request, (work) => redeliverEvent(services, work, owner, eventId, endpointId === '' ? undefined : endpointId));
      return reply.redirect(`${eventsBase(owner.environment)}/${eventId}?resent=${queued.length}`, 303);
    } catch (error) {
      if (!isShownOnForm(error)) throw error;
      return sendPage(reply, eventPageView(ctx, { ...(await eventView(owner, eventId)), error: formMessage(error) }), error.status);
    }
  });
}
