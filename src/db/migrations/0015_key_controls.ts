// Keys beyond the anchors: restricted permissions, expiry and rolling, IP allowlists, leak reports; and the audit log.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- null: "full" (the platform's permissions, as every key had before); else {"payouts": "write", …}
    alter table core.api_keys add column permissions jsonb;
    -- null: any address; else normalized addresses and CIDR ranges (src/lib/ip-allowlist.ts)
    alter table core.api_keys add column allowed_ips text[] check (allowed_ips is null or cardinality(allowed_ips) between 1 and 50);
    alter table core.api_keys add column expires_at timestamptz;
    -- a roll links the two keys both ways
    alter table core.api_keys add column rolled_from text references core.api_keys(id);
    alter table core.api_keys add column rolled_to text references core.api_keys(id);
    -- how far the expiry worker has told the platform: 0 nothing, 1 "expires within 7 days", 2 "within 1 day", 3 expired
    alter table core.api_keys add column expiry_notice smallint not null default 0 check (expiry_notice between 0 and 3);
    -- where a leak was reported (a GitHub URL), when a secret-scanning report marked the key exposed
    alter table core.api_keys add column exposed_source text;
    create index api_keys_expiry_due on core.api_keys (expires_at) where expires_at is not null and revoked_at is null and expiry_notice < 3;

    create table core.audit_log (
      id text primary key,
      occurred_at timestamptz not null default now(),
      -- null for an action on no platform (a failed sign-in with an unknown email)
      platform_id text,
      environment text check (environment in ('sandbox', 'production')),
      actor_type text not null check (actor_type in ('user', 'operator', 'api_key', 'system')),
      actor_id text,
      action text not null,
      target_type text not null,
      target_id text,
      ip text,
      user_agent text,
      details jsonb not null default '{}'
    );
    create index audit_log_platform on core.audit_log (platform_id, id);
    create index audit_log_platform_action on core.audit_log (platform_id, action, id);

    -- Append-only, like ledger entries: an entry is never changed or removed, whoever asks.
    create function core.forbid_audit_log_change() returns trigger language plpgsql as $$
    begin
      raise exception 'the audit log is append-only: entries cannot be changed or deleted';
    end
    $$;
    create trigger audit_log_immutable before update or delete on core.audit_log
      for each row execute function core.forbid_audit_log_change();
    create trigger audit_log_no_truncate before truncate on core.audit_log
      for each statement execute function core.forbid_audit_log_change();
  `.execute(db);
}
