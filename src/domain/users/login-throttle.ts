// Sign-in throttling per account and per client IP, kept in the database so every server process counts the same failures.
import { createHash } from 'node:crypto';
import type { Deps } from '../deps.ts';

export const throttleWindowMs = 15 * 60 * 1000;
/** Failures allowed for one email within the window; the next attempt is refused even with the right password. */
export const maxFailuresPerAccount = 5;
/** Failures allowed from one IP within the window, across all emails (stops spraying one password over many accounts). */
export const maxFailuresPerIp = 30;

export interface ThrottleSubjects {
  email: string;
  ip: string;
}

// Hashed: people type passwords into the email field, and that must not sit in a table in plaintext.
function subjectHash(kind: 'email' | 'ip', value: string): string {
  return createHash('sha256').update(`${kind}:${value.trim().toLowerCase()}`).digest('hex');
}

/** Which limit is reached, if any. Counted before the password is checked, so a throttled attempt costs no argon2 work. */
export async function checkSignInThrottle(deps: Deps, subjects: ThrottleSubjects): Promise<'account' | 'ip' | null> {
  const since = new Date(deps.now().getTime() - throttleWindowMs);
  const emailHash = subjectHash('email', subjects.email);
  const ipHash = subjectHash('ip', subjects.ip);
  const rows = await deps.db.core
    .selectFrom('core.login_failures')
    .select(['subject_hash', (eb) => eb.fn.countAll<string>().as('failures')])
    .where('subject_hash', 'in', [emailHash, ipHash])
    .where('failed_at', '>', since)
    .groupBy('subject_hash')
    .execute();
  const count = (hash: string): number => Number(rows.find((r) => r.subject_hash === hash)?.failures ?? 0);
  if (count(emailHash) >= maxFailuresPerAccount) return 'account';
  if (count(ipHash) >= maxFailuresPerIp) return 'ip';
  return null;
}

export async function recordSignInFailure(deps: Deps, subjects: ThrottleSubjects): Promise<void> {
  const now = deps.now();
  await deps.db.core
    .insertInto('core.login_failures')
    .values([
      { subject_hash: subjectHash('email', subjects.email), failed_at: now },
      { subject_hash: subjectHash('ip', subjects.ip), failed_at: now },
    ])
    .execute();
  // Rows older than the window count for nothing; pruning here keeps the table bounded without a separate job.
  await deps.db.core.deleteFrom('core.login_failures').where('failed_at', '<', new Date(now.getTime() - throttleWindowMs)).execute();
}

/** A successful sign-in forgives the account's failures (not the IP's: one good password must not reset a spraying IP). */
export async function clearAccountFailures(deps: Deps, email: string): Promise<void> {
  await deps.db.core.deleteFrom('core.login_failures').where('subject_hash', '=', subjectHash('email', email)).execute();
}
