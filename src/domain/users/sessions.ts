// Dashboard sessions: a random token in the user's cookie, only its hash in the database, checked on every request
// (no cache), so signing out, removing a user or changing a password ends a session at once on every server.
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../lib/hash.ts';
import type { Tx } from '../../db/database.ts';
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
  role: 'owner' | 'member';
  sessionId: string;
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
    .select(['s.id as sessionId', 's.last_seen_at', 'u.id as userId', 'u.email', 'u.role', 'p.id as platformId', 'p.name as platformName'])
    .where('s.token_hash', '=', hashSessionToken(token))
    .where('s.revoked_at', 'is', null)
    .where('s.expires_at', '>', now)
    .where('s.last_seen_at', '>', new Date(now.getTime() - sessionIdleTtlMs))
    .where('u.removed_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
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
  };
}

export async function endSession(deps: Deps, sessionId: string): Promise<void> {
  await deps.db.core.updateTable('core.sessions').set({ revoked_at: deps.now() }).where('id', '=', sessionId).where('revoked_at', 'is', null).execute();
}

/** Ends every live session of a user, except optionally the one making the change (a password change keeps its own). */
export async function endUserSessions(tx: Tx, userId: string, now: Date, exceptSessionId?: string): Promise<void> {
  let query = tx.core.updateTable('core.sessions').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (exceptSessionId) query = query.where('id', '<>', exceptSessionId);
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
