// Reading the audit log (entries are written only by UnitOfWork.audit, with the action they record): newest first,
// filtered, paged; and the CSV the dashboard exports.
import type { AuditLogRow } from '../../db/schema.ts';
import { auditActorTypes, type AuditActorType } from '../../db/schema.ts';
import { isAuditAction, type AuditAction } from '../../lib/audit-actions.ts';
import type { Environment } from '../../lib/environments.ts';
import { isEnvironment } from '../../lib/environments.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { listWithOr } from '../../lib/words.ts';
import type { Deps } from '../deps.ts';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.ts';
import { requirePlatform } from '../platforms/platforms.ts';
import { auditActions } from '../../lib/audit-actions.ts';

export interface AuditFilters {
  platformId: string;
  action?: AuditAction | undefined;
  actorType?: AuditActorType | undefined;
  environment?: Environment | undefined;
  /** Entries at or after this instant. */
  since?: Date | undefined;
  /** Entries before this instant. */
  until?: Date | undefined;
}

/** Filters as they arrive from a query string or a form (text); a wrong one is 400 naming it. */
export function parseAuditFilters(platformId: string, raw: { action?: string; actor_type?: string; environment?: string; since?: string; until?: string }): AuditFilters {
  const filters: AuditFilters = { platformId };
  if (raw.action) {
    if (!isAuditAction(raw.action)) throw new ApiError('INVALID_REQUEST', `action must be one of ${listWithOr(auditActions)}.`, { field: 'action' });
    filters.action = raw.action;
  }
  if (raw.actor_type) {
    if (!(auditActorTypes as readonly string[]).includes(raw.actor_type)) throw invalidField('actor_type', `actor_type must be ${listWithOr(auditActorTypes)}.`);
    filters.actorType = raw.actor_type as AuditActorType;
  }
  if (raw.environment) {
    if (!isEnvironment(raw.environment)) throw invalidField('environment', 'environment must be sandbox or production.');
    filters.environment = raw.environment;
  }
  for (const name of ['since', 'until'] as const) {
    const text = raw[name];
    if (!text) continue;
    const date = new Date(text);
    if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(date.getTime())) throw invalidField(name, `${name} must be a date or date-time, e.g. 2026-12-01 or 2026-12-01T09:00:00Z.`);
    filters[name] = date;
  }
  return filters;
}

export async function listAuditLog(deps: Deps, filters: AuditFilters, page: PageRequest): Promise<Page<AuditLogRow>> {
  await requirePlatform(deps, filters.platformId);
  const before = decodeCursor(page.cursor, 'auditEntry');
  let query = deps.db.core.selectFrom('core.audit_log').selectAll().where('platform_id', '=', filters.platformId);
  if (before) query = query.where('id', '<', before);
  if (filters.action) query = query.where('action', '=', filters.action);
  if (filters.actorType) query = query.where('actor_type', '=', filters.actorType);
  if (filters.environment) query = query.where('environment', '=', filters.environment);
  if (filters.since) query = query.where('occurred_at', '>=', filters.since);
  if (filters.until) query = query.where('occurred_at', '<', filters.until);
  return toPage(await query.orderBy('id', 'desc').limit(page.limit + 1).execute(), page.limit);
}

const csvColumns = ['id', 'occurred_at', 'environment', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id', 'ip', 'user_agent', 'details'] as const;

function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  // A cell a spreadsheet would run as a formula is quoted as text (CSV injection).
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Every entry matching the filters, newest first, as CSV (RFC 4180, with a header row), read page by page. */
export async function auditLogCsv(deps: Deps, filters: AuditFilters, maxRows = 50_000): Promise<string> {
  const lines = [csvColumns.join(',')];
  let cursor: string | undefined;
  do {
    const page = await listAuditLog(deps, filters, { limit: 1000, cursor });
    for (const row of page.data) lines.push(csvColumns.map((c) => csvCell(row[c])).join(','));
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && lines.length <= maxRows);
  return `${lines.join('\r\n')}\r\n`;
}
