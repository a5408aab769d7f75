// Reading the outbox as the events API and the dashboard do, the deliveries of an endpoint, and redelivery on request.
import type { EnvDb, EventRow, WebhookAttemptRow, WebhookDeliveryRow } from '../../db/schema.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { isId, newId } from '../../lib/ids.ts';
import type { Deps } from '../deps.ts';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.ts';
import { getEndpoint, parseEventTypes, receivesEvent, type WebhookOwner } from './endpoints.ts';

/** A reader of events: the platform, or (x-on-behalf-of) one of its connected accounts, which sees only its own. */
export interface EventReader extends WebhookOwner {
  accountId?: string | undefined;
}

export interface EventFilter {
  type?: string | undefined;
  accountId?: string | undefined;
  createdFrom?: Date | undefined;
  createdTo?: Date | undefined;
}

/** Newest first. */
export async function listEvents(deps: Deps, reader: EventReader, filter: EventFilter, page: PageRequest): Promise<Page<EventRow>> {
  const before = decodeCursor(page.cursor, 'event');
  if (filter.type !== undefined) parseEventTypes([filter.type], 'type');
  if (filter.accountId !== undefined && !isId('account', filter.accountId)) throw invalidField('account_id', 'account_id must be an account id (acct_…).');
  if (reader.accountId !== undefined && filter.accountId !== undefined && filter.accountId !== reader.accountId) {
    throw new ApiError('ON_BEHALF_OF_MISMATCH', 'account_id must equal the x-on-behalf-of header (or be left out).', { field: 'account_id' });
  }
  const accountId = reader.accountId ?? filter.accountId;
  let query = deps.db.env(reader.environment).selectFrom('events').selectAll().where('platform_id', '=', reader.platformId);
  if (accountId !== undefined) query = query.where('account_id', '=', accountId);
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  if (filter.createdFrom !== undefined) query = query.where('created_at', '>=', filter.createdFrom);
  if (filter.createdTo !== undefined) query = query.where('created_at', '<', filter.createdTo);
  if (before) query = query.where('id', '<', before);
  return toPage(await query.orderBy('id', 'desc').limit(page.limit + 1).execute(), page.limit);
}

export async function getEvent(deps: Deps, reader: EventReader, eventId: string): Promise<EventRow> {
  let query = deps.db.env(reader.environment).selectFrom('events').selectAll().where('id', '=', eventId).where('platform_id', '=', reader.platformId);
  if (reader.accountId !== undefined) query = query.where('account_id', '=', reader.accountId);
  const row = await query.executeTakeFirst();
  if (!row) throw new ApiError('EVENT_NOT_FOUND', undefined, { event_id: eventId });
  return row;
}

export interface DeliveryWithAttempts extends WebhookDeliveryRow {
  event_type: string;
  attempts: WebhookAttemptRow[];
}

/**
 * Each delivery with its event's type and every attempt made, in order — the attempts its row counts. The attempts are
 * read after the rows, by a second statement: an attempt recorded in between (its row and the delivery's update commit
 * together) would otherwise show beside a delivery that does not know of it yet (a 500 on a delivery still "pending,
 * 0 attempts", without its Retry now).
 */
export async function withAttempts(db: EnvDb, deliveries: WebhookDeliveryRow[]): Promise<DeliveryWithAttempts[]> {
  if (deliveries.length === 0) return [];
  const ids = deliveries.map((d) => d.id);
  const attempts = await db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', ids).orderBy('delivery_id').orderBy('number').execute();
  const types = await db.selectFrom('events').select(['id', 'type']).where('id', 'in', [...new Set(deliveries.map((d) => d.event_id))]).execute();
  const typeOf = new Map(types.map((t) => [t.id, t.type]));
  return deliveries.map((d) => ({ ...d, event_type: typeOf.get(d.event_id) ?? '', attempts: attempts.filter((a) => a.delivery_id === d.id && a.number <= d.attempt_count) }));
}

/** The deliveries to one endpoint, newest first, each with every attempt made. */
export async function listDeliveries(deps: Deps, owner: WebhookOwner, endpointId: string, page: PageRequest): Promise<Page<DeliveryWithAttempts>> {
  await getEndpoint(deps, owner, endpointId);
  const before = decodeCursor(page.cursor, 'webhookDelivery');
  let query = deps.db.env(owner.environment).selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpointId);
  if (before) query = query.where('id', '<', before);
  const rows = toPage(await query.orderBy('id', 'desc').limit(page.limit + 1).execute(), page.limit);
  return { data: await withAttempts(deps.db.env(owner.environment), rows.data), nextCursor: rows.nextCursor };
}

/**
 * Queues the event again: to one endpoint, or to every enabled endpoint that subscribes to its type. A delivery that
 * exists is reused — the same webhook-id, so a receiver that deduplicates sees the same message — and becomes due now;
 * otherwise one is created. The worker is woken when this commits.
 */
export async function redeliverEvent(deps: Deps, work: UnitOfWork, owner: WebhookOwner, eventId: string, endpointId?: string): Promise<DeliveryWithAttempts[]> {
  const tx = await work.transaction();
  const db = tx.env(owner.environment);
  const event = await db.selectFrom('events').selectAll().where('id', '=', eventId).where('platform_id', '=', owner.platformId).executeTakeFirst();
  if (!event) throw new ApiError('EVENT_NOT_FOUND', undefined, { event_id: eventId });
  let endpointIds: string[];
  if (endpointId !== undefined) {
    const endpoint = await db.selectFrom('webhook_endpoints').select(['id', 'status']).where('id', '=', endpointId).where('platform_id', '=', owner.platformId).where('deleted_at', 'is', null).where('payment_link_id', 'is', null).executeTakeFirst();
    if (!endpoint) throw new ApiError('WEBHOOK_ENDPOINT_NOT_FOUND', undefined, { field: 'endpoint_id', endpoint_id: endpointId });
    if (endpoint.status !== 'enabled') throw new ApiError('WEBHOOK_ENDPOINT_DISABLED', undefined, { endpoint_id: endpointId });
    endpointIds = [endpoint.id];
  } else {
    const endpoints = await db
      .selectFrom('webhook_endpoints')
      .select(['id', 'events', 'payment_link_id'])
      .where('platform_id', '=', owner.platformId)
      .where('status', '=', 'enabled')
      .where('deleted_at', 'is', null)
      .execute();
    endpointIds = endpoints.filter((e) => receivesEvent(e, event)).map((e) => e.id);
  }
  if (endpointIds.length === 0) return [];
  const now = deps.now();
  const rows = await db
    .insertInto('webhook_deliveries')
    .values(endpointIds.map((id) => ({ id: newId('webhookDelivery'), event_id: event.id, endpoint_id: id, platform_id: owner.platformId, status: 'pending' as const, next_attempt_at: now, created_at: now })))
    .onConflict((oc) => oc.columns(['event_id', 'endpoint_id']).doUpdateSet({ status: 'pending', next_attempt_at: now, delivered_at: null }))
    .returningAll()
    .execute();
  work.eventsRecorded(owner.environment);
  return withAttempts(db, rows);
}
