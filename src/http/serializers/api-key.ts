// An API key as operators and the dashboard see it: never the secret, only its hint; with its restrictions.
import Type from 'typebox';
import { environments } from '../../lib/environments.ts';
import { keyResources, storedKeyPermissions } from '../../lib/key-permissions.ts';
import { maxAllowedIps } from '../../lib/ip-allowlist.ts';
import type { ApiKeyRow } from '../../db/schema.ts';
import { nullable, stringEnum } from '../schemas.ts';

const NullableTime = nullable(Type.String({ format: 'date-time' }));

const permissionsDescription =
  `"full" (the default: whatever the platform may do) or an object granting "read" or "write" (write implies read) per resource: ` +
  `${keyResources.join(', ')}. A resource not named is not granted.`;

/** In a request body: validated by the domain, so a wrong entry is a 400 naming it (permissions.<resource>). */
export const PermissionsInput = Type.Unknown({ description: permissionsDescription, examples: ['full', { payouts: 'write', balances: 'read' }] });
export const AllowedIpsInput = Type.Unknown({
  description: `null (any address) or up to ${maxAllowedIps} IPv4/IPv6 addresses or CIDR ranges, e.g. ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"].`,
});

export const ApiKeySchema = Type.Object(
  {
    id: Type.String(),
    object: stringEnum(['api_key']),
    platform_id: Type.String(),
    environment: stringEnum(environments),
    name: Type.String(),
    hint: Type.String({ description: 'The key with its middle elided, e.g. pik_test_…a1b2' }),
    status: stringEnum(['active', 'expired', 'deleted']),
    created_at: Type.String({ format: 'date-time' }),
    created_by: Type.String(),
    last_used_at: NullableTime,
    last_used_ip: nullable(Type.String()),
    exposed: Type.Boolean({ description: 'The key was seen in a URL or reported by a secret-scanning partner; rotate it.' }),
    exposed_at: NullableTime,
    deleted_at: NullableTime,
    permissions: Type.Unknown({ description: permissionsDescription }),
    expires_at: nullable(Type.String({ format: 'date-time', description: 'After this instant the key answers 401 API_KEY_EXPIRED.' })),
    allowed_ips: nullable(Type.Array(Type.String())),
    rolled_from: nullable(Type.String({ description: 'The key this one succeeded in a roll.' })),
    rolled_to: nullable(Type.String({ description: 'The successor made when this key was rolled.' })),
  },
  { $id: 'ApiKey' },
);

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

export function keyStatus(row: ApiKeyRow, now: Date): 'active' | 'expired' | 'deleted' {
  if (row.revoked_at) return 'deleted';
  return row.expires_at && row.expires_at.getTime() <= now.getTime() ? 'expired' : 'active';
}

export function serializeApiKey(row: ApiKeyRow, now: Date = new Date()) {
  return {
    id: row.id,
    object: 'api_key' as const,
    platform_id: row.platform_id,
    environment: row.environment,
    name: row.name,
    hint: row.hint,
    status: keyStatus(row, now),
    created_at: row.created_at.toISOString(),
    created_by: row.created_by,
    last_used_at: iso(row.last_used_at),
    last_used_ip: row.last_used_ip,
    exposed: row.exposed_at !== null,
    exposed_at: iso(row.exposed_at),
    deleted_at: iso(row.revoked_at),
    permissions: storedKeyPermissions(row.permissions),
    expires_at: iso(row.expires_at),
    allowed_ips: row.allowed_ips,
    rolled_from: row.rolled_from,
    rolled_to: row.rolled_to,
  };
}
