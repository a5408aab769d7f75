// An API key as operators and the dashboard see it: never the secret, only its hint.
import Type from 'typebox';
import { environments } from '../../lib/environments.ts';
import type { ApiKeyRow } from '../../db/schema.ts';
import { nullable, stringEnum } from '../schemas.ts';

const NullableTime = nullable(Type.String({ format: 'date-time' }));

export const ApiKeySchema = Type.Object(
  {
    id: Type.String(),
    object: stringEnum(['api_key']),
    platform_id: Type.String(),
    environment: stringEnum(environments),
    name: Type.String(),
    hint: Type.String({ description: 'The key with its middle elided, e.g. pik_test_…a1b2' }),
    status: stringEnum(['active', 'deleted']),
    created_at: Type.String({ format: 'date-time' }),
    created_by: Type.String(),
    last_used_at: NullableTime,
    last_used_ip: nullable(Type.String()),
    exposed: Type.Boolean({ description: 'The key was seen in a URL; rotate it.' }),
    exposed_at: NullableTime,
    deleted_at: NullableTime,
  },
  { $id: 'ApiKey' },
);

const iso = (value: Date | null): string | null => (value ? value.toISOString() : null);

export function serializeApiKey(row: ApiKeyRow) {
  return {
    id: row.id,
    object: 'api_key' as const,
    platform_id: row.platform_id,
    environment: row.environment,
    name: row.name,
    hint: row.hint,
    status: row.revoked_at ? ('deleted' as const) : ('active' as const),
    created_at: row.created_at.toISOString(),
    created_by: row.created_by,
    last_used_at: iso(row.last_used_at),
    last_used_ip: row.last_used_ip,
    exposed: row.exposed_at !== null,
    exposed_at: iso(row.exposed_at),
    deleted_at: iso(row.revoked_at),
  };
}
