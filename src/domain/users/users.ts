// Dashboard users: sign-in, password changes, one-time set-password and invite links, and the team an owner manages.
import { hashPassword, passwordProblem } from '../../lib/passwords.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { UserRow } from '../../db/schema.ts';
import type { Tx } from '../../db/database.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { randomBase62 } from '../../lib/base62.ts';
import { newId } from '../../lib/ids.ts';
import type { Deps } from '../deps.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { isEmailAddress } from '../../lib/email.ts';
import { sha256Hex } from '../../lib/hash.ts';
import { verifyPasswordThrottled } from './login-throttle.ts';
import { createSession, endUserSessions, pruneSessions, type DashboardUser } from './sessions.ts';

export const inviteTtlMs = 7 * 24 * 3600 * 1000;

export interface SignInInput {
  email: string;
  password: string;
  ip: string;
}

export async function signIn(deps: Deps, input: SignInInput): Promise<{ token: string; sessionId: string; userId: string }> {
  const email = input.email.trim().toLowerCase();
  if (email.length === 0 || email.length > 254 || input.password.length === 0 || input.password.length > 256) {
    throw new ApiError('SIGN_IN_FAILED');
  }
  let user: UserRow | undefined;
  const isValid = await verifyPasswordThrottled(deps, { email, ip: input.ip }, input.password, async () => {
    user = await deps.db.core
      .selectFrom('core.users')
      .selectAll()
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
      .where('removed_at', 'is', null)
      .executeTakeFirst();
    return user?.password_hash;
  });
  if (!user || !isValid) throw new ApiError('SIGN_IN_FAILED');
  // Sign-ins are rare enough to carry the cleanup of long-dead sessions, so no background job is needed.
  await pruneSessions(deps);
  const session = await createSession(deps, user.id, user.platform_id, input.ip);
  return { ...session, userId: user.id };
}

/**
 * Asks for the password again before a sensitive step (a production key, a password change); it is one attempt of
 * the sign-in throttle, so a stolen session cannot guess the password faster than the sign-in form can.
 */
export async function confirmPassword(deps: Deps, user: DashboardUser, password: string, ip: string): Promise<void> {
  const isValid = await verifyPasswordThrottled(deps, { email: user.email, ip }, password, async () => {
    const row = await deps.db.core.selectFrom('core.users').select('password_hash').where('id', '=', user.userId).executeTakeFirst();
    return row?.password_hash;
  });
  if (!isValid) throw new ApiError('PASSWORD_INCORRECT', 'The password is not correct. Enter the password you sign in with.', { field: 'password' });
}

export interface ChangePasswordInput {
  currentPassword: string;
  newPassword: string;
  ip: string;
}

/** Changes the password and ends the user's other sessions (a stolen session must not outlive the change). */
export async function changePassword(deps: Deps, work: UnitOfWork, user: DashboardUser, input: ChangePasswordInput): Promise<void> {
  // Before work.transaction(): the throttle reserves the attempt in a short transaction of its own.
  await confirmPassword(deps, user, input.currentPassword, input.ip).catch((error: unknown) => {
    if (error instanceof ApiError && error.code === 'PASSWORD_INCORRECT') {
      throw new ApiError('PASSWORD_INCORRECT', 'The current password is not correct.', { field: 'current_password' });
    }
    throw error;
  });
  const problem = passwordProblem(input.newPassword);
  if (problem) throw invalidField('new_password', problem);
  const passwordHash = await hashPassword(input.newPassword);
  const tx = await work.transaction();
  await tx.core.updateTable('core.users').set({ password_hash: passwordHash }).where('id', '=', user.userId).execute();
  await endUserSessions(tx, user.userId, deps.now(), user.sessionId);
}

export interface PasswordTokenInfo {
  purpose: 'set_password' | 'invite';
  email: string;
  platformName: string;
}

async function findUsableToken(deps: Deps, token: string) {
  if (!/^[0-9A-Za-z]{20,64}$/.test(token)) return undefined;
  return deps.db.core
    .selectFrom('core.password_tokens as t')
    .innerJoin('core.users as u', 'u.id', 't.user_id')
    .innerJoin('core.platforms as p', 'p.id', 'u.platform_id')
    .select(['t.token_hash', 't.purpose', 't.user_id', 'u.email', 'p.name as platformName'])
    .where('t.token_hash', '=', sha256Hex(token))
    .where('t.used_at', 'is', null)
    .where('t.expires_at', '>', deps.now())
    .where('u.removed_at', 'is', null)
    .executeTakeFirst();
}

/** What a set-password link is for, to show the right page; PASSWORD_TOKEN_INVALID when it cannot be used. */
export async function readPasswordToken(deps: Deps, token: string): Promise<PasswordTokenInfo> {
  const row = await findUsableToken(deps, token);
  if (!row) throw new ApiError('PASSWORD_TOKEN_INVALID');
  return { purpose: row.purpose, email: row.email, platformName: row.platformName };
}

/** Uses a one-time link: sets the password, burns the link, and ends any session the user had. */
export async function setPasswordWithToken(deps: Deps, work: UnitOfWork, token: string, newPassword: string): Promise<{ email: string }> {
  const row = await findUsableToken(deps, token);
  if (!row) throw new ApiError('PASSWORD_TOKEN_INVALID');
  const problem = passwordProblem(newPassword);
  if (problem) throw invalidField('new_password', problem);
  const passwordHash = await hashPassword(newPassword);
  const tx = await work.transaction();
  // Guarded on used_at: two tabs submitting the same link at once set the password once; the other gets "already used".
  const burned = await tx.core
    .updateTable('core.password_tokens')
    .set({ used_at: deps.now() })
    .where('token_hash', '=', row.token_hash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (Number(burned.numUpdatedRows) !== 1) throw new ApiError('PASSWORD_TOKEN_INVALID');
  await tx.core.updateTable('core.users').set({ password_hash: passwordHash }).where('id', '=', row.user_id).execute();
  await endUserSessions(tx, row.user_id, deps.now());
  return { email: row.email };
}

export interface TeamMember {
  id: string;
  email: string;
  role: 'owner' | 'member';
  status: 'active' | 'invited';
  createdAt: Date;
}

export async function listTeam(deps: Deps, user: DashboardUser): Promise<TeamMember[]> {
  const rows = await deps.db.core
    .selectFrom('core.users')
    .selectAll()
    .where('platform_id', '=', user.platformId)
    .where('removed_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r: UserRow) => ({
    id: r.id,
    email: r.email,
    role: r.role,
    status: r.password_hash === null ? 'invited' : 'active',
    createdAt: r.created_at,
  }));
}

function assertOwner(user: DashboardUser): void {
  if (user.role !== 'owner') throw new ApiError('OWNER_REQUIRED');
}

/** A live (not removed) user already signs in with this email, in any platform: emails are unique among live users. */
export async function isEmailInUse(tx: Tx, email: string): Promise<boolean> {
  const row = await tx.core
    .selectFrom('core.users')
    .select('id')
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}

/** Creates a member without a password and returns the one-time link that lets them choose one. */
export async function inviteUser(deps: Deps, work: UnitOfWork, user: DashboardUser, emailInput: string): Promise<{ userId: string; email: string; inviteUrl: string }> {
  assertOwner(user);
  const email = emailInput.trim().toLowerCase();
  if (!isEmailAddress(email)) throw invalidField('email', 'Enter an email address, such as dev@example.com.');
  const token = randomBase62(32);
  const userId = newId('user');
  const now = deps.now();
  const tx = await work.transaction();
  try {
    if (await isEmailInUse(tx, email)) throw new ApiError('EMAIL_TAKEN', 'A user with this email already exists.', { field: 'email' });
    await tx.core
      .insertInto('core.users')
      .values({ id: userId, platform_id: user.platformId, email, password_hash: null, role: 'member', created_at: now })
      .execute();
  } catch (error) {
    // Two invites of one email at once: the unique index decides.
    if (isUniqueViolation(error, 'users_email_live')) throw new ApiError('EMAIL_TAKEN', 'A user with this email already exists.', { field: 'email' });
    throw error;
  }
  await tx.core
    .insertInto('core.password_tokens')
    .values({ token_hash: sha256Hex(token), user_id: userId, purpose: 'invite', expires_at: new Date(now.getTime() + inviteTtlMs), created_at: now })
    .execute();
  return { userId, email, inviteUrl: `${deps.config.publicUrl}/dashboard/set-password?token=${token}` };
}

/** Removes a member: they cannot sign in again, their sessions end now, and their unused links stop working. */
export async function removeUser(deps: Deps, work: UnitOfWork, user: DashboardUser, userId: string): Promise<{ email: string }> {
  assertOwner(user);
  const tx = await work.transaction();
  const target = await tx.core
    .selectFrom('core.users')
    .selectAll()
    .where('id', '=', userId)
    .where('platform_id', '=', user.platformId)
    .where('removed_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!target) throw new ApiError('USER_NOT_FOUND');
  if (target.role === 'owner' || target.id === user.userId) throw new ApiError('CANNOT_REMOVE_USER');
  const now = deps.now();
  await tx.core.updateTable('core.users').set({ removed_at: now }).where('id', '=', userId).execute();
  await endUserSessions(tx, userId, now);
  await tx.core.updateTable('core.password_tokens').set({ used_at: now }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
  return { email: target.email };
}

/** Emails of a platform's users by id (including removed ones), to show who created a key. */
export async function userEmails(deps: Deps, platformId: string): Promise<Map<string, string>> {
  const rows = await deps.db.core.selectFrom('core.users').select(['id', 'email']).where('platform_id', '=', platformId).execute();
  return new Map(rows.map((r) => [r.id, r.email]));
}
