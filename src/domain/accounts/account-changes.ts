// Writing to accounts rows: one transaction helper that keeps the account directory (auth cache) truthful on every node,
// and the capability event every capability change records.
import type { Environment } from '../../lib/environments.ts';
import type { Tx } from '../../db/database.ts';
import type { Invalidation } from '../../db/invalidation.ts';
import type { Capability } from '../../lib/capabilities.ts';
import type { Deps } from '../deps.ts';
import type { EventData } from '../event-types.ts';
import { recordEvent } from '../events.ts';

export type MarkAccountChanged = (environment: Environment, accountId: string) => Promise<void>;

/**
 * Runs `fn` in a transaction. Every account it reports through `markChanged` is invalidated on other nodes by a
 * NOTIFY that is delivered only if the transaction commits, and in this process right after the commit — so the
 * next request anywhere sees the new verification status and capabilities, never the cached ones.
 */
export async function changeAccounts<T>(deps: Deps, fn: (tx: Tx, markChanged: MarkAccountChanged) => Promise<T>): Promise<T> {
  const messages: Invalidation[] = [];
  const result = await deps.db.transaction((tx) =>
    fn(tx, async (environment, accountId) => {
      const message: Invalidation = { kind: 'account', environment, accountId };
      await deps.invalidation.publish(tx, message);
      messages.push(message);
    }),
  );
  for (const message of messages) deps.invalidation.applyLocally(message);
  return result;
}

export type CapabilityChangeCause = EventData<'account.capability_updated'>['cause'];

export async function recordCapabilityEvent(
  tx: Tx,
  environment: Environment,
  account: { id: string; platform_id: string },
  capability: Capability,
  status: 'active' | 'inactive',
  cause: CapabilityChangeCause,
): Promise<void> {
  await recordEvent(tx, environment, {
    platformId: account.platform_id,
    accountId: account.id,
    type: 'account.capability_updated',
    data: { account_id: account.id, capability, status, previous_status: status === 'active' ? 'inactive' : 'active', cause },
  });
}
