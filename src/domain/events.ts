// The event outbox: every state change records its event in the same transaction (delivered by the webhook worker).
// Only event types of the catalogue (event-types.ts) can be recorded, each with the data its schema describes.
import type { Tx } from '../db/database.ts';
import type { Environment } from '../lib/environments.ts';
import { newId } from '../lib/ids.ts';
import type { EventData, EventType } from './event-types.ts';

export type NewEvent = {
  [T in EventType]: { platformId: string; accountId: string; type: T; data: EventData<T> };
}[EventType];

export async function recordEvent(tx: Tx, environment: Environment, event: NewEvent): Promise<string> {
  const id = newId('event');
  await tx
    .env(environment)
    .insertInto('events')
    .values({ id, platform_id: event.platformId, account_id: event.accountId, type: event.type, data: JSON.stringify(event.data) })
    .execute();
  return id;
}
