// The account as the API shows it: snake_case, ISO timestamps, capabilities as a name → state map.
import Type from 'typebox';
import type { Environment } from '../../config.ts';
import { capabilities, type AccountRow, type Capability } from '../../db/schema.ts';

const CapabilityState = Type.Union([Type.Literal('active'), Type.Literal('inactive')]);

export const AccountSchema = Type.Object(
  {
    id: Type.String(),
    object: Type.Literal('account'),
    type: Type.Union([Type.Literal('platform'), Type.Literal('connected')]),
    environment: Type.Union([Type.Literal('sandbox'), Type.Literal('production')]),
    display_name: Type.Union([Type.String(), Type.Null()]),
    customer_type: Type.Union([Type.Literal('individual'), Type.Literal('business'), Type.Null()]),
    email: Type.Union([Type.String(), Type.Null()]),
    country: Type.Union([Type.String(), Type.Null()]),
    reference_id: Type.Union([Type.String(), Type.Null()]),
    verification_status: Type.String(),
    capabilities: Type.Object({ inbound_payments: CapabilityState, fx_conversion: CapabilityState, payouts: CapabilityState }),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Account' },
);

export function capabilityMap(active: readonly Capability[]): Record<Capability, 'active' | 'inactive'> {
  return Object.fromEntries(capabilities.map((c) => [c, active.includes(c) ? 'active' : 'inactive'])) as Record<Capability, 'active' | 'inactive'>;
}

export function serializeAccount(row: AccountRow, environment: Environment) {
  return {
    id: row.id,
    object: 'account' as const,
    type: row.type,
    environment,
    display_name: row.display_name,
    customer_type: row.customer_type,
    email: row.email,
    country: row.country,
    reference_id: row.reference_id,
    verification_status: row.verification_status,
    capabilities: capabilityMap(row.capabilities),
    created_at: row.created_at.toISOString(),
  };
}
