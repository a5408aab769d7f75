// Platforms, users, API keys (core), and per-environment accounts and the event outbox.
import { sql, type Kysely } from 'kysely';
import { environments } from '../../lib/environments.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create schema if not exists core;

    create table core.platforms (
      id text primary key,
      name text not null,
      -- operator overrides of the per-minute limits, by group: {"payments": 600}
      rate_limits jsonb not null default '{}',
      created_at timestamptz not null default now()
    );

    create table core.users (
      id text primary key,
      platform_id text not null references core.platforms(id),
      email text not null,
      password_hash text,
      role text not null check (role in ('owner', 'member')),
      created_at timestamptz not null default now(),
      removed_at timestamptz
    );
    -- one live user per email across PIK: the email is the sign-in name
    create unique index users_email_live on core.users (lower(email)) where removed_at is null;

    create table core.password_tokens (
      token_hash text primary key,
      user_id text not null references core.users(id),
      purpose text not null check (purpose in ('set_password', 'invite')),
      expires_at timestamptz not null,
      used_at timestamptz,
      created_at timestamptz not null default now()
    );

    create table core.api_keys (
      id text primary key,
      platform_id text not null references core.platforms(id),
      environment text not null check (environment in ('sandbox', 'production')),
      name text not null,
      key_hash text not null unique,
      hint text not null,
      created_at timestamptz not null default now(),
      created_by text not null,
      last_used_at timestamptz,
      last_used_ip text,
      exposed_at timestamptz,
      revoked_at timestamptz
    );
    create index api_keys_platform on core.api_keys (platform_id, environment, id);
  `.execute(db);

  for (const schema of environments) {
    const s = sql.id(schema);
    await sql`
      create schema if not exists ${s};

      create table ${s}.accounts (
        id text primary key,
        platform_id text not null references core.platforms(id),
        type text not null check (type in ('platform', 'connected')),
        customer_type text check (customer_type in ('individual', 'business')),
        email text,
        country text,
        reference_id text,
        display_name text,
        verification_status text not null default 'unverified'
          check (verification_status in ('unverified', 'pending', 'approved', 'rejected', 'action_required')),
        capabilities text[] not null default '{}',
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        -- the last line of defence for the capability rule: nothing can be active on an account that is not approved
        constraint capabilities_need_approval check (verification_status = 'approved' or cardinality(capabilities) = 0),
        constraint connected_has_customer_type check (type = 'platform' or customer_type is not null)
      );
      create unique index accounts_reference_id on ${s}.accounts (platform_id, reference_id) where reference_id is not null;
      create unique index accounts_one_platform_row on ${s}.accounts (platform_id) where type = 'platform';
      create index accounts_platform_list on ${s}.accounts (platform_id, id);

      create table ${s}.events (
        id text primary key,
        platform_id text not null,
        account_id text not null,
        type text not null,
        data jsonb not null,
        created_at timestamptz not null default now()
      );
      create index events_platform on ${s}.events (platform_id, id);
    `.execute(db);
  }
}
