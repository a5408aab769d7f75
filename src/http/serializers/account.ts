// The account as the API shows it: snake_case, ISO timestamps, capabilities as a name → state map.
import Type from 'typebox';
import { environments, type Environment } from '../../lib/environments.ts';
import { verificationStatuses, type AccountRow } from '../../db/schema.ts';
import { capabilities, type Capability } from '../../lib/capabilities.ts';
import { MetadataSchema, nullable, stringEnum } from '../schemas.ts';

const CapabilityState = stringEnum(['active', 'inactive']);

export const AccountSchema = Type.Object(
  {
    id: Type.String(),
    object: stringEnum(['account']),
    type: stringEnum(['platform', 'connected']),
    environment: stringEnum(environments),
    display_name: nullable(Type.String()),
    customer_type: nullable(stringEnum(['individual', 'business'])),
    email: nullable(Type.String()),
    country: nullable(Type.String()),
    reference_id: nullable(Type.String()),
    verification_status: stringEnum(verificationStatuses),
    capabilities: Type.Object(Object.fromEntries(capabilities.map((c) => [c, CapabilityState])) as Record<Capability, typeof CapabilityState>),
    metadata: MetadataSchema,
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Account' },
);

export function capabilityMap(active: readonly Capability[]): Record<Capability, 'active' | 'inactive'> {
  return Object.fromEntries(capabilities.map((c) => [c, active.includes(c) ? 'active' : 'inactive'])) as Record<Capability, 'active' | 'inactive'>;
}

export type AccountView = ReturnType<typeof buildAccountView>;

function buildAccountView(row: AccountRow, environment: Environment) {
  return Object.freeze({
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
    capabilities: Object.freeze(capabilityMap(row.capabilities)),
    metadata: Object.freeze({ ...(row.metadata ?? {}) }),
    created_at: row.created_at.toISOString(),
  });
}

// Account rows are snapshots: a change is a new row (the directory reloads it), never an edit in place. So the view
// of a row is built once and shared, which matters for GET /account, served from the directory on every call.
const views = new WeakMap<AccountRow, AccountView>();

export function serializeAccount(row: AccountRow, environment: Environment): AccountView {
  const cached = views.get(row);
  if (cached !== undefined && cached.environment === environment) return cached;
  const view = buildAccountView(row, environment);
  views.set(row, view);
  return view;
}
