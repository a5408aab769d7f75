// The event every capability change records, whichever command made it (activation, withdrawal, the operator).
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import type { Capability } from '../../lib/capabilities.ts';
import type { Environment } from '../../lib/environments.ts';
import type { EventData } from '../event-types.ts';
import { recordEvent } from '../events.ts';

export type CapabilityChangeCause = EventData<'account.capability_updated'>['cause'];

export async function recordCapabilityEvent(
  work: UnitOfWork,
  environment: Environment,
  account: { id: string; platform_id: string },
  capability: Capability,
  status: 'active' | 'inactive',
  cause: CapabilityChangeCause,
): Promise<void> {
  await recordEvent(work, environment, {
    platformId: account.platform_id,
    accountId: account.id,
    type: 'account.capability_updated',
    data: { account_id: account.id, capability, status, previous_status: status === 'active' ? 'inactive' : 'active', cause },
  });
}
