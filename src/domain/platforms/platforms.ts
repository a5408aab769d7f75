// Platform accounts: created by the operator with their first dashboard user, present in every environment.
import { environments, type Environment } from '../../lib/environments.ts';
import { hashPassword, passwordProblem } from '../../lib/passwords.ts';
import { randomBase62 } from '../../lib/base62.ts';
import { isEmailAddress } from '../../lib/email.ts';
import { sha256Hex } from '../../lib/hash.ts';
import { newId } from '../../lib/ids.ts';
import { capabilities, type Capability } from '../../lib/capabilities.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { OperatorActor } from '../../lib/actor.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import type { Deps } from '../deps.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { fundSandboxPlatformWallet } from '../ledger/funding.ts';
import { isEmailInUse } from '../users/users.ts';
import { codePointLength } from '../../lib/text.ts';

export interface CreatePlatformInput {
  name: string;
  ownerEmail: string;
  ownerPassword?: string | undefined;
}

export interface CreatedPlatform {
  platform: { id: string; name: string; createdAt: Date };
  owner: { id: string; email: string };
  /** Present when no password was given: a one-time link for the owner to choose one. */
  setPasswordUrl: string | null;
}

const setPasswordTtlMs = 72 * 3600 * 1000;

/** Capabilities a new platform has in each environment: everything in sandbox, nothing in production until the operator enables it. */
const initialCapabilities: Record<Environment, Capability[]> = { sandbox: [...capabilities], production: [] };

export async function createPlatform(deps: Deps, work: UnitOfWork, _actor: OperatorActor, input: CreatePlatformInput): Promise<CreatedPlatform> {
  const name = input.name.trim();
  if (name.length === 0 || codePointLength(name) > 200) throw invalidField('name', 'name must be 1 to 200 characters.');
  const email = input.ownerEmail.trim().toLowerCase();
  if (!isEmailAddress(email)) throw invalidField('owner_email', 'owner_email must be an email address.');
  if (input.ownerPassword !== undefined) {
    const problem = passwordProblem(input.ownerPassword);
    if (problem) throw invalidField('owner_password', problem);
  }
  const passwordHash = input.ownerPassword === undefined ? null : await hashPassword(input.ownerPassword);
  const setPasswordToken = passwordHash === null ? randomBase62(32) : undefined;

  const platformId = newId('account');
  const userId = newId('user');
  const createdAt = deps.now();
  const tx = await work.transaction();
  // The operator is trusted with whether an email is in use: a new platform's owner is a new person, since setting
  // (or linking to set) the password of someone who already signs in elsewhere would hand over their account.
  try {
    if (await isEmailInUse(tx, email)) throw new ApiError('EMAIL_TAKEN', undefined, { field: 'owner_email' });
    await tx.core.insertInto('core.platforms').values({ id: platformId, name, created_at: createdAt }).execute();
    await tx.core.insertInto('core.users').values({ id: userId, email, password_hash: passwordHash, created_at: createdAt }).execute();
  } catch (error) {
    // Two operators creating the same owner at once: the unique index decides, the loser gets the same answer.
    throw isUniqueViolation(error, 'users_email_live') ? new ApiError('EMAIL_TAKEN', undefined, { field: 'owner_email' }) : error;
  }
  await tx.core
    .insertInto('core.memberships')
    .values({ user_id: userId, platform_id: platformId, role: 'owner', created_at: createdAt, accepted_at: passwordHash === null ? null : createdAt })
    .execute();
  if (setPasswordToken) {
    await tx.core
      .insertInto('core.password_tokens')
      .values({
        token_hash: sha256Hex(setPasswordToken),
        user_id: userId,
        platform_id: platformId,
        purpose: 'set_password',
        expires_at: new Date(createdAt.getTime() + setPasswordTtlMs),
      })
      .execute();
  }
  for (const environment of environments) {
    await tx
      .env(environment)
      .insertInto('accounts')
      .values({
        id: platformId,
        platform_id: platformId,
        type: 'platform',
        display_name: name,
        verification_status: 'approved',
        capabilities: initialCapabilities[environment],
        created_at: createdAt,
        updated_at: createdAt,
      })
      .execute();
    // Sandbox money is simulated: a new platform can move money at once (spec §5). Production starts at zero.
    if (environment === 'sandbox') await fundSandboxPlatformWallet(work, platformId, createdAt);
  }

  return {
    platform: { id: platformId, name, createdAt },
    owner: { id: userId, email },
    setPasswordUrl: setPasswordToken ? `${deps.config.publicUrl}/dashboard/set-password?token=${setPasswordToken}` : null,
  };
}

export interface PlatformSummary {
  id: string;
  name: string;
  createdAt: Date;
  ownerEmail: string | null;
}

export async function listPlatforms(deps: Deps, _actor: OperatorActor): Promise<PlatformSummary[]> {
  const rows = await deps.db.core
    .selectFrom('core.platforms as p')
    .leftJoin('core.memberships as m', (join) => join.onRef('m.platform_id', '=', 'p.id').on('m.role', '=', 'owner').on('m.removed_at', 'is', null))
    .leftJoin('core.users as u', 'u.id', 'm.user_id')
    .select(['p.id', 'p.name', 'p.created_at', 'u.email'])
    .orderBy('p.id')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, ownerEmail: r.email }));
}

export async function requirePlatform(deps: Deps, platformId: string): Promise<{ id: string; name: string }> {
  const row = await deps.db.core.selectFrom('core.platforms').select(['id', 'name']).where('id', '=', platformId).executeTakeFirst();
  if (!row) throw new ApiError('PLATFORM_NOT_FOUND');
  return row;
}
