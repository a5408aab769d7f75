// API keys: generate (secret returned once), list, change restrictions, roll, delete (revoked everywhere within a
// second), flag as exposed. Every change records its event and its audit entry in the same unit of work.
import type { Environment } from '../../lib/environments.ts';
import { generateApiKey } from '../../lib/api-key.ts';
import { parseAllowedIps } from '../../lib/ip-allowlist.ts';
import { parseKeyPermissions, storedKeyPermissions, type KeyPermissions } from '../../lib/key-permissions.ts';
import type { ApiKeyRow } from '../../db/schema.ts';
import type { Tx } from '../../db/database.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { newId } from '../../lib/ids.ts';
import type { Deps } from '../deps.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { recordEvent } from '../events.ts';
import { requirePlatform } from '../platforms/platforms.ts';
import { codePointLength } from '../../lib/text.ts';

/** Who generated or deleted a key: the operator, or a dashboard user (by id). */
export type KeyActor = { kind: 'operator' } | { kind: 'user'; userId: string; platformId: string };

/** The longest grace a roll may give the old key: 7 days. */
export const maxRollGraceSeconds = 7 * 24 * 3600;

export interface CreateApiKeyInput {
  platformId: string;
  environment: Environment;
  name?: string | undefined;
  /** "full" (the default) or a map of resource → read | write; validated here. */
  permissions?: unknown;
  /** When the key stops working; must be in the future. */
  expiresAt?: Date | null | undefined;
  /** Addresses and CIDR ranges; null or absent: any address. */
  allowedIps?: unknown;
}

export interface CreatedApiKey {
  key: ApiKeyRow;
  /** The only time the full key exists outside its holder's hands. */
  secret: string;
}

function actorLabel(actor: KeyActor): string {
  return actor.kind === 'operator' ? 'operator' : actor.userId;
}

function assertActorOwns(actor: KeyActor, platformId: string): void {
  if (actor.kind === 'user' && actor.platformId !== platformId) throw new ApiError('PLATFORM_NOT_FOUND');
}

/** "full", or the stored map (null in the column means full). */
export function permissionsOf(row: Pick<ApiKeyRow, 'permissions'>): KeyPermissions {
  return storedKeyPermissions(row.permissions);
}

/** The fields every api_key.* event carries: never the secret, only the hint. */
export function keyEventData(row: ApiKeyRow) {
  return { id: row.id, name: row.name, hint: row.hint, environment: row.environment };
}

/** What an audit entry says about a key's restrictions (no secret: the hint at most). */
function restrictionDetails(row: ApiKeyRow) {
  return { permissions: permissionsOf(row), allowed_ips: row.allowed_ips, expires_at: row.expires_at?.toISOString() ?? null };
}

function parseExpiresAt(deps: Deps, value: Date | null | undefined): Date | null {
  if (value === undefined || value === null) return null;
  if (Number.isNaN(value.getTime())) throw invalidField('expires_at', 'expires_at must be a date-time, e.g. 2027-01-31T00:00:00Z.');
  if (value.getTime() <= deps.now().getTime()) throw invalidField('expires_at', 'expires_at must be in the future.');
  return value;
}

async function insertKey(
  tx: Tx,
  deps: Deps,
  actor: KeyActor,
  values: { platformId: string; environment: Environment; name: string; permissions: KeyPermissions; allowedIps: string[] | null; expiresAt: Date | null; rolledFrom: string | null },
): Promise<CreatedApiKey> {
  const generated = generateApiKey(values.environment);
  const key = await tx.core
    .insertInto('core.api_keys')
    .values({
      id: newId('apiKey'),
      platform_id: values.platformId,
      environment: values.environment,
      name: values.name,
      key_hash: generated.hash,
      hint: generated.hint,
      created_at: deps.now(),
      created_by: actorLabel(actor),
      permissions: values.permissions === 'full' ? null : JSON.stringify(values.permissions),
      allowed_ips: values.allowedIps,
      expires_at: values.expiresAt,
      rolled_from: values.rolledFrom,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { key, secret: generated.secret };
}

export async function createApiKey(deps: Deps, work: UnitOfWork, actor: KeyActor, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  assertActorOwns(actor, input.platformId);
  const name = (input.name ?? '').trim() || `${input.environment === 'production' ? 'Production' : 'Sandbox'} key`;
  if (codePointLength(name) > 100) throw invalidField('name', 'name must be at most 100 characters.');
  const permissions = parseKeyPermissions(input.permissions);
  const allowedIps = parseAllowedIps(input.allowedIps);
  const expiresAt = parseExpiresAt(deps, input.expiresAt);
  await requirePlatform(deps, input.platformId);
  const tx = await work.transaction();
  const created = await insertKey(tx, deps, actor, { platformId: input.platformId, environment: input.environment, name, permissions, allowedIps, expiresAt, rolledFrom: null });
  const { key } = created;
  await recordEvent(work, input.environment, { platformId: input.platformId, accountId: input.platformId, type: 'api_key.created', data: keyEventData(key) });
  work.audit({
    action: 'api_key.created',
    platformId: key.platform_id,
    environment: key.environment,
    targetType: 'api_key',
    targetId: key.id,
    details: { name: key.name, hint: key.hint, ...restrictionDetails(key) },
  });
  return created;
}

export async function listApiKeys(deps: Deps, actor: KeyActor, platformId: string, environment?: Environment): Promise<ApiKeyRow[]> {
  assertActorOwns(actor, platformId);
  await requirePlatform(deps, platformId);
  let query = deps.db.core.selectFrom('core.api_keys').selectAll().where('platform_id', '=', platformId);
  if (environment) query = query.where('environment', '=', environment);
  return query.orderBy('id', 'desc').execute();
}

/** The key, locked for the change; API_KEY_NOT_FOUND for another platform's key (it does not exist for this actor). */
async function lockKey(work: UnitOfWork, actor: KeyActor, keyId: string): Promise<ApiKeyRow> {
  const tx = await work.transaction();
  const current = await tx.core.selectFrom('core.api_keys').selectAll().where('id', '=', keyId).forUpdate().executeTakeFirst();
  if (!current || (actor.kind === 'user' && current.platform_id !== actor.platformId)) throw new ApiError('API_KEY_NOT_FOUND');
  return current;
}

/** Revoked on every server process: NOTIFY with the commit for the others, and this one drops the key after the commit. */
export async function deleteApiKey(deps: Deps, work: UnitOfWork, actor: KeyActor, keyId: string): Promise<ApiKeyRow> {
  // The row lock makes two concurrent deletes of one key produce one event and one 409, not two events.
  const current = await lockKey(work, actor, keyId);
  if (current.revoked_at) throw new ApiError('API_KEY_ALREADY_DELETED');
  return revokeLockedKey(deps, work, current, actorLabel(actor));
}

async function revokeLockedKey(deps: Deps, work: UnitOfWork, current: ApiKeyRow, deletedBy: string): Promise<ApiKeyRow> {
  const tx = await work.transaction();
  const row = await tx.core.updateTable('core.api_keys').set({ revoked_at: deps.now() }).where('id', '=', current.id).returningAll().executeTakeFirstOrThrow();
  await recordEvent(work, row.environment, {
    platformId: row.platform_id,
    accountId: row.platform_id,
    type: 'api_key.deleted',
    data: { ...keyEventData(row), deleted_by: deletedBy },
  });
  work.audit({ action: 'api_key.deleted', platformId: row.platform_id, environment: row.environment, targetType: 'api_key', targetId: row.id, details: { name: row.name, hint: row.hint } });
  await deps.invalidation.publish(work, { kind: 'api_key', keyId: row.id });
  return row;
}

export interface ApiKeyChanges {
  /** Absent: unchanged. */
  permissions?: unknown;
  /** Absent: unchanged; null or []: any address. */
  allowedIps?: unknown;
}

/**
 * Changes a key's permissions and/or allowlist; every process drops its cached copy when this commits, so the next
 * request is checked against the new rules. Each kind of change is its own audit entry, with the before and after.
 */
export async function updateApiKey(deps: Deps, work: UnitOfWork, actor: KeyActor, keyId: string, changes: ApiKeyChanges): Promise<ApiKeyRow> {
  const permissions = changes.permissions === undefined ? undefined : parseKeyPermissions(changes.permissions);
  const allowedIps = changes.allowedIps === undefined ? undefined : parseAllowedIps(changes.allowedIps);
  const current = await lockKey(work, actor, keyId);
  if (current.revoked_at) throw new ApiError('API_KEY_ALREADY_DELETED');
  const tx = await work.transaction();
  const set: { permissions?: string | null; allowed_ips?: string[] | null } = {};
  if (permissions !== undefined) set.permissions = permissions === 'full' ? null : JSON.stringify(permissions);
  if (allowedIps !== undefined) set.allowed_ips = allowedIps;
  if (Object.keys(set).length === 0) return current;
  const row = await tx.core.updateTable('core.api_keys').set(set).where('id', '=', keyId).returningAll().executeTakeFirstOrThrow();
  const base = { platformId: row.platform_id, environment: row.environment, targetType: 'api_key', targetId: row.id } as const;
  if (permissions !== undefined && JSON.stringify(permissionsOf(current)) !== JSON.stringify(permissionsOf(row))) {
    work.audit({ ...base, action: 'api_key.permissions_changed', details: { hint: row.hint, before: permissionsOf(current), after: permissionsOf(row) } });
  }
  if (allowedIps !== undefined && JSON.stringify(current.allowed_ips) !== JSON.stringify(row.allowed_ips)) {
    work.audit({ ...base, action: 'api_key.allowlist_changed', details: { hint: row.hint, before: current.allowed_ips, after: row.allowed_ips } });
  }
  await deps.invalidation.publish(work, { kind: 'api_key', keyId });
  return row;
}

export interface RolledApiKey extends CreatedApiKey {
  /** The old key, now expiring at the end of the grace period. */
  previous: ApiKeyRow;
}

/**
 * A roll: a successor with the same name, permissions and allowlist (its secret shown once), and the old key set to
 * expire after `graceSeconds` (0 to 7 days; 0 = now). The old key keeps working until then, so production can switch
 * keys without a moment in which neither works. An old key that already expires sooner keeps its earlier time.
 */
export async function rollApiKey(deps: Deps, work: UnitOfWork, actor: KeyActor, keyId: string, graceSeconds: number): Promise<RolledApiKey> {
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > maxRollGraceSeconds) {
    throw invalidField('expires_in_seconds', `expires_in_seconds must be a whole number from 0 to ${maxRollGraceSeconds} (7 days).`);
  }
  // The lock makes two rolls of one key at once produce one successor and one 409.
  const current = await lockKey(work, actor, keyId);
  if (current.revoked_at) throw new ApiError('API_KEY_ALREADY_DELETED');
  if (current.rolled_to) throw new ApiError('API_KEY_ALREADY_ROLLED', undefined, { successor_id: current.rolled_to });
  const now = deps.now();
  if (current.expires_at && current.expires_at.getTime() <= now.getTime()) throw new ApiError('API_KEY_ALREADY_EXPIRED', undefined, { expired_at: current.expires_at.toISOString() });
  const tx = await work.transaction();
  const successor = await insertKey(tx, deps, actor, {
    platformId: current.platform_id,
    environment: current.environment,
    name: current.name,
    permissions: permissionsOf(current),
    allowedIps: current.allowed_ips,
    expiresAt: null,
    rolledFrom: current.id,
  });
  const graceEnd = new Date(now.getTime() + graceSeconds * 1000);
  const expiresAt = current.expires_at && current.expires_at.getTime() < graceEnd.getTime() ? current.expires_at : graceEnd;
  const previous = await tx.core
    .updateTable('core.api_keys')
    .set({ rolled_to: successor.key.id, expires_at: expiresAt })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordEvent(work, current.environment, { platformId: current.platform_id, accountId: current.platform_id, type: 'api_key.created', data: keyEventData(successor.key) });
  work.audit({
    action: 'api_key.rolled',
    platformId: current.platform_id,
    environment: current.environment,
    targetType: 'api_key',
    targetId: current.id,
    details: { name: current.name, hint: current.hint, successor_id: successor.key.id, successor_hint: successor.key.hint, old_key_expires_at: expiresAt.toISOString() },
  });
  await deps.invalidation.publish(work, { kind: 'api_key', keyId: current.id });
  return { ...successor, previous };
}

/**
 * Marks a key exposed once (a second report changes nothing and records nothing): its api_key.exposed event and audit
 * entry, and with `revoke` the key is deleted in the same unit of work. Returns the key, or undefined when none has
 * this hash.
 */
export async function markApiKeyExposed(
  deps: Deps,
  work: UnitOfWork,
  keyHash: string,
  report: { source: 'url' | 'secret_scanning'; url: string | null; revoke: boolean },
): Promise<ApiKeyRow | undefined> {
  const tx = await work.transaction();
  const current = await tx.core.selectFrom('core.api_keys').selectAll().where('key_hash', '=', keyHash).forUpdate().executeTakeFirst();
  if (!current) return undefined;
  let row = current;
  if (current.exposed_at === null) {
    row = await tx.core
      .updateTable('core.api_keys')
      .set({ exposed_at: deps.now(), exposed_source: report.url === null ? report.source : report.url.slice(0, 2000) })
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  const revoke = report.revoke && row.revoked_at === null;
  if (current.exposed_at === null || revoke) {
    await recordEvent(work, row.environment, {
      platformId: row.platform_id,
      accountId: row.platform_id,
      type: 'api_key.exposed',
      data: { ...keyEventData(row), source: report.source, url: report.url, revoked: revoke },
    });
    work.audit({
      action: 'api_key.exposed',
      platformId: row.platform_id,
      environment: row.environment,
      targetType: 'api_key',
      targetId: row.id,
      details: { name: row.name, hint: row.hint, source: report.source, url: report.url, revoked: revoke },
    });
  }
  if (revoke) row = await revokeLockedKey(deps, work, row, 'secret_scanning');
  return row;
}
