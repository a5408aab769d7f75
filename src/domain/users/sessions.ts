// Dashboard sessions: a random token in the user's cookie, only its hash in the database, checked on every request
// (no cache), so signing out, removing a user or changing a password ends a session at once on every server.
// A session is in one platform at a time; a person with several memberships switches it (the platform switcher).
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { sha256Hex } from '../../lib/hash.ts';
import type { Tx } from '../../db/database.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import type { MembershipRole } from '../../db/schema.ts';
import { ApiError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import type { Deps } from '../deps.ts';

/** A session ends this long after sign-in, whatever happens. */
export const sessionAbsoluteTtlMs = 12 * 3600 * 1000;
/** …or after this long without a request. */
export const sessionIdleTtlMs = 2 * 3600 * 1000;
// last_seen_at is written at most this often per session, so browsing is not one write per page.
const touchEveryMs = 60 * 1000;

export interface DashboardUser {
  kind: 'user';
  userId: string;
  platformId: string;
  platformName: string;
  email: string;
  /** The role in the current platform. */
  role: MembershipRole;
  sessionId: string;
  /** Every platform the person may switch to (live, accepted memberships), by name; includes the current one. */
  platforms: { id: string; name: string }[];
}

export const hashSessionToken = sha256Hex;

export async function createSession(deps: Deps, userId: string, platformId: string, ip: string): Promise<{ token: string; sessionId: string }> {
  const token = randomBytes(32).toString('base64url');
  const now = deps.now();
  const sessionId = newId('session');
  await deps.db.core
    .insertInto('core.sessions')
    .values({
      id: sessionId,
      token_hash: hashSessionToken(token),
      user_id: userId,
      platform_id: platformId,
      created_at: now,
      last_seen_at: now,
      expires_at: new Date(now.getTime() + sessionAbsoluteTtlMs),
      ip: ip.slice(0, 64),
    })
    .execute();
  return { token, sessionId };
}

/** The signed-in user for a cookie token, or null when the session is unknown, ended, expired, idle or its user removed. */
export async function resolveSession(deps: Deps, token: string): Promise<DashboardUser | null> {
  if (token.length < 20 || token.length > 100) return null;
  const now = deps.now();
  const row = await deps.db.core
    .selectFrom('core.sessions as s')
    .innerJoin('core.users as u', 'u.id', 's.user_id')
    .innerJoin('core.platforms as p', 'p.id', 's.platform_id')
    // No live, accepted membership in the session's platform (removed meanwhile): no session.
    .innerJoin('core.memberships as m', (join) =>
      join.onRef('m.user_id', '=', 's.user_id').onRef('m.platform_id', '=', 's.platform_id').on('m.removed_at', 'is', null).on('m.accepted_at', 'is not', null),
    )
    .select(['s.id as sessionId', 's.last_seen_at', 'u.id as userId', 'u.email', 'm.role', 'p.id as platformId', 'p.name as platformName'])
    .where('s.token_hash', '=', hashSessionToken(token))
    .where('s.revoked_at', 'is', null)
    .where('s.expires_at', '>', now)
    .where('s.last_seen_at', '>', new Date(now.getTime() - sessionIdleTtlMs))
    .where('u.removed_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  const platforms = await deps.db.core
    .selectFrom('core.memberships as m')
    .innerJoin('core.platforms as p', 'p.id', 'm.platform_id')
    .select(['p.id', 'p.name'])
    .where('m.user_id', '=', row.userId)
    .where('m.removed_at', 'is', null)
    .where('m.accepted_at', 'is not', null)
    .orderBy('p.name')
    .orderBy('p.id')
    .execute();
  if (now.getTime() - row.last_seen_at.getTime() > touchEveryMs) {
    await deps.db.core.updateTable('core.sessions').set({ last_seen_at: now }).where('id', '=', row.sessionId).execute();
  }
  return {
    kind: 'user',
    userId: row.userId,
    platformId: row.platformId,
    platformName: row.platformName,
    email: row.email,
    role: row.role,
    sessionId: row.sessionId,
    platforms,
  };
}

/**
 * The platform a person enters on sign-in: the one they used last, else the one they joined first. Only live,
 * accepted memberships count; undefined when there is none (removed everywhere, or only invited).
 */
export async function landingPlatform(deps: Deps, userId: string): Promise<string | undefined> {
  const row = await deps.db.core
    .selectFrom('core.memberships as m')
    .select('m.platform_id')
    .where('m.user_id', '=', userId)
    .where('m.removed_at', 'is', null)
    .where('m.accepted_at', 'is not', null)
    .orderBy(
      sql`(select max(s.last_seen_at) from core.sessions s where s.user_id = m.user_id and s.platform_id = m.platform_id)`,
      sql`desc nulls last`,
    )
    .orderBy('m.accepted_at')
    .limit(1)
    .executeTakeFirst();
  return row?.platform_id;
}

/** Moves the session to another platform of the person's; PLATFORM_NOT_FOUND for any platform they are not in. */
export async function switchPlatform(work: UnitOfWork, user: DashboardUser, platformId: string): Promise<void> {
  const tx = await work.transaction();
  // One statement checks the membership and moves the session, so a removal committed just before cannot be raced.
  const moved = await tx.core
    .updateTable('core.sessions')
    .set({ platform_id: platformId })
    .where('id', '=', user.sessionId)
    .where('revoked_at', 'is', null)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('core.memberships as m')
          .select('m.user_id')
          .where('m.user_id', '=', user.userId)
          .where('m.platform_id', '=', platformId)
          .where('m.removed_at', 'is', null)
          .where('m.accepted_at', 'is not', null),
      ),
    )
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) !== 1) throw new ApiError('PLATFORM_NOT_FOUND');
}

export async function endSession(deps: Deps, sessionId: string): Promise<void> {
  await deps.db.core.updateTable('core.sessions').set({ revoked_at: deps.now() }).where('id', '=', sessionId).where('revoked_at', 'is', null).execute();
}

/**
 * Ends every live session of a user, except optionally the one making the change (a password change keeps its own);
 * with `platformId`, only the sessions in that platform (a removal from one platform leaves the others alone).
 */
export async function endUserSessions(tx: Tx, userId: string, now: Date, options: { exceptSessionId?: string; platformId?: string } = {}): Promise<void> {
  let query = tx.core.updateTable('core.sessions').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (options.exceptSessionId) query = query.where('id', '<>', options.exceptSessionId);
  if (options.platformId) query = query.where('platform_id', '=', options.platformId);
  await query.execute();
}

/** Expired and ended sessions older than a day serve no one; called now and then so the table stays small. */
export async function pruneSessions(deps: Deps): Promise<void> {
  const cutoff = new Date(deps.now().getTime() - 24 * 3600 * 1000);
  await deps.db.core
    .deleteFrom('core.sessions')
    .where((eb) => eb.or([eb('expires_at', '<', cutoff), eb('revoked_at', '<', cutoff), eb('last_seen_at', '<', cutoff)]))
    .execute();
}
