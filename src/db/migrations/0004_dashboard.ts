// Dashboard: sign-in sessions and failed sign-in attempts (core), and the per-environment API request log.
import { sql, type Kysely } from 'kysely';
import { environments } from '../../lib/environments.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- A session row holds only the SHA-256 of the cookie's token: a copy of this table cannot sign anyone in.
    create table core.sessions (
      id text primary key,
      token_hash text not null unique,
      user_id text not null references core.users(id),
      platform_id text not null references core.platforms(id),
      created_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      expires_at timestamptz not null,
      ip text,
      revoked_at timestamptz
    );
    create index sessions_user on core.sessions (user_id) where revoked_at is null;

    -- Failed sign-ins, keyed by a hash of the subject ("email:…" or "ip:…"), for throttling across server processes.
    create table core.login_failures (
      subject_hash text not null,
      failed_at timestamptz not null default now()
    );
    create index login_failures_subject on core.login_failures (subject_hash, failed_at);
  `.execute(db);

  for (const schema of environments) {
    const s = sql.id(schema);
    await sql`
      -- What the dashboard shows per key and per connected account. Never a body, a header value or a query string.
      create table ${s}.request_log (
        id text primary key,
        platform_id text not null,
        key_id text not null,
        account_id text,
        on_behalf_of text,
        method text not null,
        path text not null,
        status integer not null,
        error_code text,
        created_at timestamptz not null
      );
      create index request_log_key on ${s}.request_log (key_id, created_at desc);
      create index request_log_account on ${s}.request_log (platform_id, account_id, created_at desc);
      create index request_log_age on ${s}.request_log (created_at);
    `.execute(db);
  }
}
