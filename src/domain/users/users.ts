// Dashboard users: sign-in, password changes, one-time set-password and invite links, and the team an owner manages.
// A user is a person (one email, one password) who belongs to platforms through memberships (migration 0010).
import { sql } from 'kysely';
import { hashPassword, passwordProblem } from '../../lib/passwords.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { MembershipRole } from '../../db/schema.ts';
import type { Tx } from '../../db/database.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { randomBase62 } from '../../lib/base62.ts';
import { newId } from '../../lib/ids.ts';
import type { Deps } from '../deps.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { isEmailAddress } from '../../lib/email.ts';
import { sha256Hex } from '../../lib/hash.ts';
import { verifyPasswordThrottled } from './login-throttle.ts';
import { createSession, endUserSessions, landingPlatform, pruneSessions, type DashboardUser } from './sessions.ts';

export const inviteTtlMs = 7 * 24 * 3600 * 1000;

export interface SignInInput {
  email: string;
  password: string;
  ip: string;
}

export async function signIn(deps: Deps, input: SignInInput): Promise<{ token: string; sessionId: string; userId: string; platformId: string }> {
  const email = input.email.trim().toLowerCase();
  if (email.length === 0 || email.length > 254 || input.password.length === 0 || input.password.length > 256) {
    throw new ApiError('SIGN_IN_FAILED');
  }
  let user: { id: string; password_hash: string | null } | undefined;
  const isValid = await verifyPasswordThrottled(deps, { email, ip: input.ip }, input.password, async () => {
    user = await deps.db.core
      .selectFrom('core.users')
      .select(['id', 'password_hash'])
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
      .where('removed_at', 'is', null)
      .executeTakeFirst();
    return user?.password_hash;
  });
  // A person removed from every platform (or only invited so far) has nowhere to enter: the same answer as a wrong password.
  const platformId = user && isValid ? await landingPlatform(deps, user.id) : undefined;
  if (!user || !isValid || !platformId) throw new ApiError('SIGN_IN_FAILED');
  // Sign-ins are rare enough to carry the cleanup of long-dead sessions, so no background job is needed.
  await pruneSessions(deps);
  const session = await createSession(deps, user.id, platformId, input.ip);
  return { ...session, userId: user.id, platformId };
}

/**
 * A sign-in's audit entries. A success is recorded on the platform the session entered, as its user. A failure names
 * the email tried (never the password) and is recorded on each platform that email's person belongs to, so their
 * owners see attempts on their team; an email nobody has gives one entry on no platform.
 */
export async function auditSignIn(
  deps: Deps,
  work: UnitOfWork,
  attempt: { email: string; outcome: { userId: string; platformId: string } | { failure: 'wrong_credentials' } },
): Promise<void> {
  const email = attempt.email.trim().toLowerCase().slice(0, 254);
  if ('userId' in attempt.outcome) {
    const { userId, platformId } = attempt.outcome;
    work.audit({ action: 'user.sign_in_succeeded', platformId, environment: null, targetType: 'user', targetId: userId, details: { email }, actor: { type: 'user', id: userId } });
    return;
  }
  const reason = attempt.outcome.failure;
  const tx = await work.transaction();
  const memberships = await tx.core
    .selectFrom('core.users as u')
    .innerJoin('core.memberships as m', 'm.user_id', 'u.id')
    .select(['u.id', 'm.platform_id'])
    .where((eb) => eb(eb.fn('lower', ['u.email']), '=', email))
    .where('u.removed_at', 'is', null)
    .where('m.removed_at', 'is', null)
    .execute();
  const entries = memberships.length > 0 ? memberships : [{ id: null, platform_id: null }];
  for (const m of entries) {
    work.audit({ action: 'user.sign_in_failed', platformId: m.platform_id, environment: null, targetType: 'user', targetId: m.id, details: { email, reason } });
  }
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
  await endUserSessions(tx, user.userId, deps.now(), { exceptSessionId: user.sessionId });
  work.audit({ action: 'user.password_changed', platformId: user.platformId, environment: null, targetType: 'user', targetId: user.userId, details: { email: user.email, other_sessions_ended: true } });
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
    .innerJoin('core.platforms as p', 'p.id', 't.platform_id')
    .select(['t.token_hash', 't.purpose', 't.user_id', 't.platform_id', 'u.email', 'u.password_hash', 'p.name as platformName'])
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

/** Does the person have anything to protect: a live membership they have accepted, in any platform? */
async function hasAcceptedMembership(deps: Deps, userId: string): Promise<boolean> {
  const row = await deps.db.core
    .selectFrom('core.memberships')
    .select('platform_id')
    .where('user_id', '=', userId)
    .where('removed_at', 'is', null)
    .where('accepted_at', 'is not', null)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Uses a one-time link (an invitation, or the owner's set-password link): the person joins the link's platform.
 *
 * A link never replaces the password of someone who already signs in somewhere: whoever holds the link (the inviting
 * owner does) would otherwise take over their account in every platform. Such a person proves the password they have
 * (counted by the sign-in throttle, like any password guess); anyone else chooses one. The page and the form are the
 * same for both, so opening a link says nothing about the email; only completing it does, to whoever can.
 */
export async function setPasswordWithToken(
  deps: Deps,
  work: UnitOfWork,
  token: string,
  password: string,
  ip: string,
): Promise<{ email: string }> {
  const row = await findUsableToken(deps, token);
  if (!row) throw new ApiError('PASSWORD_TOKEN_INVALID');
  const problem = passwordProblem(password);
  if (problem) throw invalidField('new_password', problem);
  let passwordHash: string | undefined;
  if (row.password_hash && (await hasAcceptedMembership(deps, row.user_id))) {
    const existingHash = row.password_hash;
    if (!(await verifyPasswordThrottled(deps, { email: row.email.toLowerCase(), ip }, password, async () => existingHash))) {
      throw new ApiError(
        'PASSWORD_INCORRECT',
        'The password is not correct. This email already signs in to the PIK Dashboard: enter that password to accept.',
        { field: 'new_password' },
      );
    }
  } else {
    passwordHash = await hashPassword(password);
  }
  const tx = await work.transaction();
  // Guarded on used_at: two tabs submitting the same link at once set the password once; the other gets "already used".
  const burned = await tx.core
    .updateTable('core.password_tokens')
    .set({ used_at: deps.now() })
    .where('token_hash', '=', row.token_hash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (Number(burned.numUpdatedRows) !== 1) throw new ApiError('PASSWORD_TOKEN_INVALID');
  const now = deps.now();
  await tx.core
    .updateTable('core.memberships')
    .set({ accepted_at: now })
    .where('user_id', '=', row.user_id)
    .where('platform_id', '=', row.platform_id)
    .where('removed_at', 'is', null)
    .where('accepted_at', 'is', null)
    .execute();
  if (passwordHash !== undefined) {
    await tx.core.updateTable('core.users').set({ password_hash: passwordHash }).where('id', '=', row.user_id).execute();
    await endUserSessions(tx, row.user_id, now);
  }
  return { email: row.email };
}

export interface TeamMember {
  id: string;
  email: string;
  role: MembershipRole;
  status: 'active' | 'invited';
  /** When they were invited to this platform (not when the person joined PIK: that is another platform's business). */
  createdAt: Date;
}

export async function listTeam(deps: Deps, user: DashboardUser): Promise<TeamMember[]> {
  const rows = await deps.db.core
    .selectFrom('core.memberships as m')
    .innerJoin('core.users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.email', 'm.role', 'm.accepted_at', 'm.created_at'])
    .where('m.platform_id', '=', user.platformId)
    .where('m.removed_at', 'is', null)
    .orderBy('m.created_at')
    .orderBy('u.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    role: r.role,
    status: r.accepted_at === null ? 'invited' : 'active',
    createdAt: r.created_at,
  }));
}

function assertOwner(user: DashboardUser): void {
  if (user.role !== 'owner') throw new ApiError('OWNER_REQUIRED');
}

/** A live person already has this email (in any platform): emails are unique among live users. For the operator only. */
export async function isEmailInUse(tx: Tx, email: string): Promise<boolean> {
  const row = await tx.core
    .selectFrom('core.users')
    .select('id')
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}

const alreadyMember = () => new ApiError('EMAIL_TAKEN', 'This email is already in your team.', { field: 'email' });

/**
 * Invites an email into the owner's platform: a membership waiting for acceptance, and the one-time link that accepts
 * it. The answer is the same whether or not the email already signs in to another platform — that person simply gets
 * a second membership (and the platform switcher) — so an invitation tells the owner nothing about other platforms.
 * Neither case hashes a password, so they cost the same. Only an email already in this team is refused.
 */
export async function inviteUser(deps: Deps, work: UnitOfWork, user: DashboardUser, emailInput: string): Promise<{ userId: string; email: string; inviteUrl: string }> {
  assertOwner(user);
  const email = emailInput.trim().toLowerCase();
  if (!isEmailAddress(email)) throw invalidField('email', 'Enter an email address, such as dev@example.com.');
  const token = randomBase62(32);
  const now = deps.now();
  const tx = await work.transaction();
  // The person, found or created by one statement: two owners inviting one new email at once both get the same person
  // (the second insert waits for the first and then does nothing) instead of one of them failing.
  const created = await sql<{ id: string }>`
    insert into core.users (id, email, password_hash, created_at) values (${newId('user')}, ${email}, null, ${now})
    on conflict (lower(email)) where removed_at is null do nothing
    returning id
  `.execute(tx.core);
  const userId =
    created.rows[0]?.id ??
    (
      await tx.core
        .selectFrom('core.users')
        .select('id')
        .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
        .where('removed_at', 'is', null)
        .executeTakeFirstOrThrow()
    ).id;
  const member = await tx.core
    .selectFrom('core.memberships')
    .select('user_id')
    .where('user_id', '=', userId)
    .where('platform_id', '=', user.platformId)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  if (member) throw alreadyMember();
  try {
    await tx.core
      .insertInto('core.memberships')
      .values({ user_id: userId, platform_id: user.platformId, role: 'member', created_at: now, accepted_at: null })
      .execute();
  } catch (error) {
    // Two invites of one email into this platform at once: the unique index decides.
    if (isUniqueViolation(error, 'memberships_live')) throw alreadyMember();
    throw error;
  }
  await tx.core
    .insertInto('core.password_tokens')
    .values({
      token_hash: sha256Hex(token),
      user_id: userId,
      platform_id: user.platformId,
      purpose: 'invite',
      expires_at: new Date(now.getTime() + inviteTtlMs),
      created_at: now,
    })
    .execute();
  // The invitation link is a credential: the entry names the person, never the link.
  work.audit({ action: 'user.invited', platformId: user.platformId, environment: null, targetType: 'user', targetId: userId, details: { email, role: 'member' } });
  return { userId, email, inviteUrl: `${deps.config.publicUrl}/dashboard/set-password?token=${token}` };
}

/**
 * Removes a member from the owner's platform: their sessions in it end now, and their unused links to it stop
 * working. Their other platforms, if any, are not this owner's business and stay as they are.
 */
export async function removeUser(deps: Deps, work: UnitOfWork, user: DashboardUser, userId: string): Promise<{ email: string }> {
  assertOwner(user);
  const tx = await work.transaction();
  const target = await tx.core
    .selectFrom('core.memberships as m')
    .innerJoin('core.users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.email', 'm.role'])
    .where('m.user_id', '=', userId)
    .where('m.platform_id', '=', user.platformId)
    .where('m.removed_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!target) throw new ApiError('USER_NOT_FOUND');
  if (target.role === 'owner' || target.id === user.userId) throw new ApiError('CANNOT_REMOVE_USER');
  const now = deps.now();
  await tx.core
    .updateTable('core.memberships')
    .set({ removed_at: now })
    .where('user_id', '=', userId)
    .where('platform_id', '=', user.platformId)
    .where('removed_at', 'is', null)
    .execute();
  await endUserSessions(tx, userId, now, { platformId: user.platformId });
  await tx.core
    .updateTable('core.password_tokens')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('platform_id', '=', user.platformId)
    .where('used_at', 'is', null)
    .execute();
  work.audit({ action: 'user.removed', platformId: user.platformId, environment: null, targetType: 'user', targetId: userId, details: { email: target.email } });
  return { email: target.email };
}

/** Emails of a platform's users by id (including removed members), to show who created a key. */
export async function userEmails(deps: Deps, platformId: string): Promise<Map<string, string>> {
  const rows = await deps.db.core
    .selectFrom('core.memberships as m')
    .innerJoin('core.users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.email'])
    .where('m.platform_id', '=', platformId)
    .execute();
  return new Map(rows.map((r) => [r.id, r.email]));
}
