// Passwords a person types, verified under the sign-in throttle (per account and per client IP). The counters live in
// the database (core.login_attempts), so every server process shares them.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Tx } from '../../db/database.ts';
import { ApiError } from '../../lib/errors.ts';
import { hashPassword, verifyPassword } from '../../lib/passwords.ts';
import type { Deps } from '../deps.ts';

export const throttleWindowMs = 15 * 60 * 1000;
/** Attempts allowed for one email within the window; the next one is refused even with the right password. */
export const maxFailuresPerAccount = 5;
/** Attempts allowed from one IP within the window, across all emails (stops spraying one password over many accounts). */
export const maxFailuresPerIp = 30;

export interface ThrottleSubjects {
  email: string;
  ip: string;
}

type Limit = 'account' | 'ip';

const limits: Record<Limit, number> = { account: maxFailuresPerAccount, ip: maxFailuresPerIp };

const throttledMessages: Record<Limit, string> = {
  account: 'Too many failed sign-in attempts for this email. Wait 15 minutes, then try again, or ask your platform owner to check your account.',
  ip: 'Too many failed sign-in attempts from your network. Wait 15 minutes, then try again.',
};

/** One subject's reserved attempt: which counter row, and the window it was counted in. */
interface Reservation {
  limit: Limit;
  subjectHash: string;
  windowStartedAt: Date;
}

// Hashed: people type passwords into the email field, and that must not sit in a table in plaintext.
function subjectHash(kind: 'email' | 'ip', value: string): string {
  return createHash('sha256').update(`${kind}:${value.trim().toLowerCase()}`).digest('hex');
}

// Verifying against this when the account has no password (unknown email, invited user) makes that cost the same
// time as a wrong password, so sign-in does not reveal which emails exist.
let dummyHash: Promise<string> | undefined;
function timingDummy(): Promise<string> {
  dummyHash ??= hashPassword('pik-timing-equaliser-not-a-password');
  return dummyHash;
}

/**
 * Verifies `password` against the hash `loadHash` finds (none: always wrong), as one counted attempt for the email
 * and for the IP. The attempt is reserved before anything is verified, so a throttled attempt costs no argon2 work;
 * a reservation over either limit is SIGN_IN_THROTTLED. Afterwards the right password forgives the account's
 * failures (not the IP's: one good password must not reset a spraying IP) and a wrong one stays counted.
 *
 * This is the only caller of verifyPassword (test/throttle-concurrency.test.ts checks it): every password a person
 * types goes through the throttle. Call it before the unit of work's transaction begins; on PGlite the reservation's
 * own short transaction would otherwise wait for it.
 */
export async function verifyPasswordThrottled(
  deps: Deps,
  subjects: ThrottleSubjects,
  password: string,
  loadHash: () => Promise<string | null | undefined>,
): Promise<boolean> {
  const reservations = await reserveAttempt(deps, subjects);
  let isValid = false;
  try {
    const passwordHash = await loadHash();
    if (password.length > 0 && password.length <= 256) {
      isValid = passwordHash ? await verifyPassword(passwordHash, password) : (await verifyPassword(await timingDummy(), password), false);
    }
  } finally {
    await settleAttempt(deps, reservations, isValid);
  }
  return isValid;
}

/**
 * Counts one attempt for the email, then for the IP, in one transaction: both or neither. Each count is one guarded
 * upsert (`… where failures + in_flight < limit`) under the row's lock, so concurrent attempts — in this process or
 * another — cannot all pass a check made before any of them was counted (25 simultaneous guesses used to all be
 * verified). The email row is always locked before the IP row, so two reservations never wait on each other in a cycle.
 */
async function reserveAttempt(deps: Deps, subjects: ThrottleSubjects): Promise<Reservation[]> {
  const now = deps.now();
  const open = await deps.db.beginTransaction();
  try {
    const reservations: Reservation[] = [];
    for (const [limit, hash] of [
      ['account', subjectHash('email', subjects.email)],
      ['ip', subjectHash('ip', subjects.ip)],
    ] as const) {
      const windowStartedAt = await reserveOne(open.tx, hash, limits[limit], now);
      if (!windowStartedAt) throw new ApiError('SIGN_IN_THROTTLED', throttledMessages[limit]);
      reservations.push({ limit, subjectHash: hash, windowStartedAt });
    }
    await open.commit();
    return reservations;
  } catch (error) {
    await open.rollback().catch(() => undefined);
    throw error;
  }
}

/** The window the attempt was counted in, or undefined when the subject is at its limit. A window that is over starts again. */
async function reserveOne(tx: Tx, hash: string, limit: number, now: Date): Promise<Date | undefined> {
  const windowOver = new Date(now.getTime() - throttleWindowMs);
  const { rows } = await sql<{ window_started_at: Date }>`
    insert into core.login_attempts as a (subject_hash, window_started_at, failures, in_flight)
    values (${hash}, ${now}, 0, 1)
    on conflict (subject_hash) do update set
      window_started_at = case when a.window_started_at <= ${windowOver} then excluded.window_started_at else a.window_started_at end,
      failures = case when a.window_started_at <= ${windowOver} then 0 else a.failures end,
      in_flight = case when a.window_started_at <= ${windowOver} then 1 else a.in_flight + 1 end
    where a.window_started_at <= ${windowOver} or a.failures + a.in_flight < ${limit}
    returning window_started_at
  `.execute(tx.core);
  return rows[0]?.window_started_at;
}

/**
 * Turns the reserved attempts into failures, or (right password) releases them and clears the account's failures.
 * One statement per row, email first, none holding two locks. A row whose window started again meanwhile is left
 * alone: the attempt belonged to the window that ended. Rows that were reserved but never settled (a process died
 * mid-attempt) count as failures until their window ends.
 */
async function settleAttempt(deps: Deps, reservations: readonly Reservation[], isValid: boolean): Promise<void> {
  for (const reservation of reservations) {
    await deps.db.core
      .updateTable('core.login_attempts')
      .set((eb) => ({
        in_flight: sql<number>`greatest(in_flight - 1, 0)`,
        failures: isValid ? (reservation.limit === 'account' ? 0 : eb.ref('failures')) : eb('failures', '+', 1),
      }))
      .where('subject_hash', '=', reservation.subjectHash)
      .where('window_started_at', '=', reservation.windowStartedAt)
      .execute();
  }
  if (!isValid) await pruneEndedWindows(deps);
}

// Rows of ended windows count for nothing; pruning a few on each failure keeps the table bounded without a job.
// SKIP LOCKED: a row a reservation holds is skipped rather than waited for (waiting, while holding the rows already
// deleted, could deadlock with that reservation).
async function pruneEndedWindows(deps: Deps): Promise<void> {
  const windowOver = new Date(deps.now().getTime() - throttleWindowMs);
  await sql`
    delete from core.login_attempts where subject_hash in (
      select subject_hash from core.login_attempts where window_started_at <= ${windowOver} limit 100 for update skip locked
    )
  `.execute(deps.db.core);
}
