// An audit entry at the edge: who did what to which object, when and from where; details never hold a secret.
import Type from 'typebox';
import type { AuditLogRow } from '../../db/schema.ts';
import { nullable } from '../schemas.ts';

export const AuditEntrySchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('audit_entry'),
  occurred_at: Type.String({ format: 'date-time' }),
  platform_id: nullable(Type.String()),
  environment: nullable(Type.String()),
  actor: Type.Object({ type: Type.String({ description: 'user, operator, api_key or system' }), id: nullable(Type.String()) }),
  action: Type.String(),
  target: Type.Object({ type: Type.String(), id: nullable(Type.String()) }),
  ip: nullable(Type.String()),
  user_agent: nullable(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
});

export function serializeAuditEntry(row: AuditLogRow) {
  return {
    id: row.id,
    object: 'audit_entry' as const,
    occurred_at: row.occurred_at.toISOString(),
    platform_id: row.platform_id,
    environment: row.environment,
    actor: { type: row.actor_type, id: row.actor_id },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    ip: row.ip,
    user_agent: row.user_agent,
    details: row.details,
  };
}
