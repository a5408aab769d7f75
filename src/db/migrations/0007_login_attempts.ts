// Sign-in throttle: one counter row per subject instead of one row per failure, so an attempt can be reserved by a
// guarded update before its password is verified (a check followed by a separate insert let concurrent attempts
// all pass the check). The failures of the last 15 minutes are carried over, so a deploy does not reset the limits.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- subject_hash: SHA-256 of "email:…" or "ip:…" (people type passwords into the email field). A row counts the
    -- attempts of one window that began at window_started_at: failures, plus attempts reserved and still being
    -- verified (in_flight). Both reset when a reservation finds the window over.
    create table core.login_attempts (
      subject_hash text primary key,
      window_started_at timestamptz not null,
      failures integer not null default 0 check (failures >= 0),
      in_flight integer not null default 0 check (in_flight >= 0)
    );
    create index login_attempts_window on core.login_attempts (window_started_at);

    -- Whole milliseconds, like every window the server writes: it compares them with the JavaScript Date it read back.
    insert into core.login_attempts (subject_hash, window_started_at, failures)
    select subject_hash, date_trunc('milliseconds', min(failed_at)), count(*)
    from core.login_failures
    where failed_at > now() - interval '15 minutes'
    group by subject_hash;

    drop table core.login_failures;
  `.execute(db);
}
