// The event outbox: every state change records its event in the same transaction (delivered by the webhook worker).
// Only event types of the catalogue (event-types.ts) can be recorded, each with the data its schema describes.
import type { UnitOfWork } from '../db/unit-of-work.ts';
import type { Environment } from '../lib/environments.ts';
import { newId } from '../lib/ids.ts';
import { statementsFor } from '../db/statements.ts';
import type { EventRow } from '../db/schema.ts';
import type { EventData, EventType } from './event-types.ts';

export type NewEvent = {
  [T in EventType]: { platformId: string; accountId: string; type: T; data: EventData<T> };
}[EventType];

/**
 * Records the event with the unit of work's other writes (a queued write: it commits with the change or not at all) and
 * has the webhook worker woken once it commits. The event's time is taken here, as the change is made. `endpointId`
 * addresses it to one endpoint as well: a webhook.test goes to that endpoint only (no endpoint subscribes to it); a
 * payment link's events go to the link's hidden endpoint besides the platform's subscribed ones (receivesEvent).
 */
export async function recordEvent(work: UnitOfWork, environment: Environment, event: NewEvent, endpointId: string | null = null): Promise<EventRow> {
  const row: EventRow = {
    id: newId('event'),
    platform_id: event.platformId,
    account_id: event.accountId,
    type: event.type,
    data: event.data as Record<string, unknown>,
    created_at: new Date(),
    dispatched_at: null,
    endpoint_id: endpointId,
  };
  work.write({ statement: statementsFor(environment).insertInto('events').values({ ...row, data: JSON.stringify(event.data) }) });
  work.eventsRecorded(environment);
  return row;
}
