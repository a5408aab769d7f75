// What the dashboard's webhook pages read besides the webhooks API's own reads: each endpoint's last result, and one
// event's deliveries to every endpoint.
import type { WebhookDeliveryStatus } from '../../db/schema.ts';
import type { Deps } from '../deps.ts';
import { getEvent, withAttempts, type DeliveryWithAttempts } from '../webhooks/event-log.ts';
import type { WebhookOwner } from '../webhooks/endpoints.ts';

export interface LastResult {
  status: WebhookDeliveryStatus;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  createdAt: Date;
}

/**
 * The newest delivery of each endpoint (by id, which sorts by creation): one index probe per endpoint on
 * (endpoint_id, id), however many deliveries an endpoint has piled up.
 */
export async function lastResults(deps: Deps, owner: WebhookOwner, endpointIds: readonly string[]): Promise<Map<string, LastResult>> {
  if (endpointIds.length === 0) return new Map();
  const rows = await deps.db
    .env(owner.environment)
    .selectFrom('webhook_endpoints as e')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('webhook_deliveries as d')
          .select(['d.status', 'd.last_status_code', 'd.last_error', 'd.last_attempt_at', 'd.created_at'])
          .whereRef('d.endpoint_id', '=', 'e.id')
          .orderBy('d.id', 'desc')
          .limit(1)
          .as('last'),
      (join) => join.onTrue(),
    )
    .select(['e.id', 'last.status', 'last.last_status_code', 'last.last_error', 'last.last_attempt_at', 'last.created_at'])
    .where('e.platform_id', '=', owner.platformId)
    .where('e.id', 'in', [...endpointIds])
    .execute();
  return new Map(
    rows.map((r) => [r.id, { status: r.status, lastStatusCode: r.last_status_code, lastError: r.last_error, lastAttemptAt: r.last_attempt_at, createdAt: r.created_at }]),
  );
}

export interface EventDelivery extends DeliveryWithAttempts {
  endpoint: { id: string; url: string; status: 'enabled' | 'disabled'; isDeleted: boolean };
}

/** One of the platform's events and its deliveries to each endpoint (deleted endpoints included: their history stays). */
export async function readEventDeliveries(deps: Deps, owner: WebhookOwner, eventId: string) {
  const event = await getEvent(deps, owner, eventId);
  const db = deps.db.env(owner.environment);
  const deliveries = await db.selectFrom('webhook_deliveries').selectAll().where('event_id', '=', event.id).where('platform_id', '=', owner.platformId).orderBy('id').execute();
  const endpoints =
    deliveries.length === 0
      ? []
      : await db.selectFrom('webhook_endpoints').select(['id', 'url', 'status', 'deleted_at']).where('id', 'in', [...new Set(deliveries.map((d) => d.endpoint_id))]).execute();
  const byId = new Map(endpoints.map((e) => [e.id, e]));
  const detailed = (await withAttempts(db, deliveries)).flatMap((d): EventDelivery[] => {
    const endpoint = byId.get(d.endpoint_id);
    return endpoint ? [{ ...d, endpoint: { id: endpoint.id, url: endpoint.url, status: endpoint.status, isDeleted: endpoint.deleted_at !== null } }] : [];
  });
  return { event, deliveries: detailed };
}
