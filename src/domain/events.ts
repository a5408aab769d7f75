// The event outbox: every state change records its event in the same transaction (delivered by the webhook worker).
import type { Environment } from '../lib/environments.ts';
import type { Tx } from '../db/database.ts';
import { newId } from '../lib/ids.ts';

export interface NewEvent {
  platformId: string;
  accountId: string;
  type: string;
  data: Record<string, unknown>;
}

export async function recordEvent(tx: Tx, environment: Environment, event: NewEvent): Promise<string> {
  const id = newId('event');
  await tx
    .env(environment)
    .insertInto('events')
    .values({ id, platform_id: event.platformId, account_id: event.accountId, type: event.type, data: JSON.stringify(event.data) })
    .execute();
  return id;
}
