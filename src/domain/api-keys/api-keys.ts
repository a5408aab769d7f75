// API keys: generate (secret returned once), list, delete (revoked everywhere within a second), flag as exposed.
import type { Environment } from '../../lib/environments.ts';
import { generateApiKey } from '../../lib/api-key.ts';
import type { ApiKeyRow } from '../../db/schema.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { newId } from '../../lib/ids.ts';
import type { Deps } from '../deps.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { recordEvent } from '../events.ts';
import { requirePlatform } from '../platforms/platforms.ts';

/** Who generated or deleted a key: the operator, or a dashboard user (by id). */
export type KeyActor = { kind: 'operator' } | { kind: 'user'; userId: string; platformId: string };

export interface CreateApiKeyInput {
  platformId: string;
  environment: Environment;
  name?: string | undefined;
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

export async function createApiKey(deps: Deps, work: UnitOfWork, actor: KeyActor, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  assertActorOwns(actor, input.platformId);
  const name = (input.name ?? '').trim() || `${input.environment === 'production' ? 'Production' : 'Sandbox'} key`;
  if (name.length > 100) throw invalidField('name', 'name must be at most 100 characters.');
  await requirePlatform(deps, input.platformId);
  const generated = generateApiKey(input.environment);
  const tx = await work.transaction();
  const key = await tx.core
      .insertInto('core.api_keys')
      .values({
        id: newId('apiKey'),
        platform_id: input.platformId,
        environment: input.environment,
        name,
        key_hash: generated.hash,
        hint: generated.hint,
        created_at: deps.now(),
        created_by: actorLabel(actor),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  await recordEvent(work, input.environment, {
    platformId: input.platformId,
    accountId: input.platformId,
    type: 'api_key.created',
    data: { id: key.id, name: key.name, hint: key.hint, environment: key.environment },
  });
  return { key, secret: generated.secret };
}

export async function listApiKeys(deps: Deps, actor: KeyActor, platformId: string, environment?: Environment): Promise<ApiKeyRow[]> {
  assertActorOwns(actor, platformId);
  await requirePlatform(deps, platformId);
  let query = deps.db.core.selectFrom('core.api_keys').selectAll().where('platform_id', '=', platformId);
  if (environment) query = query.where('environment', '=', environment);
  return query.orderBy('id', 'desc').execute();
}

/** Revoked on every server process: NOTIFY with the commit for the others, and this one drops the key after the commit. */
export async function deleteApiKey(deps: Deps, work: UnitOfWork, actor: KeyActor, keyId: string): Promise<ApiKeyRow> {
  const tx = await work.transaction();
  // The row lock makes two concurrent deletes of one key produce one event and one 409, not two events.
  const current = await tx.core.selectFrom('core.api_keys').selectAll().where('id', '=', keyId).forUpdate().executeTakeFirst();
  if (!current || (actor.kind === 'user' && current.platform_id !== actor.platformId)) throw new ApiError('API_KEY_NOT_FOUND');
  if (current.revoked_at) throw new ApiError('API_KEY_ALREADY_DELETED');
  const row = await tx.core
    .updateTable('core.api_keys')
    .set({ revoked_at: deps.now() })
    .where('id', '=', keyId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordEvent(work, row.environment, {
    platformId: row.platform_id,
    accountId: row.platform_id,
    type: 'api_key.deleted',
    data: { id: row.id, name: row.name, hint: row.hint, environment: row.environment, deleted_by: actorLabel(actor) },
  });
  await deps.invalidation.publish(work, { kind: 'api_key', keyId });
  return row;
}

/** A key seen in a URL is compromised: it may sit in proxy logs and browser history. Flag it so the dashboard says so. */
export async function markApiKeyExposed(deps: Deps, keyHash: string): Promise<void> {
  await deps.db.core
    .updateTable('core.api_keys')
    .set({ exposed_at: deps.now() })
    .where('key_hash', '=', keyHash)
    .where('exposed_at', 'is', null)
    .execute();
}
