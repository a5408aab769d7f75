// One person, several platforms: a dashboard user (core.users) is a person — an email and one password — and belongs
// to platforms through core.memberships, each with its own role. Inviting an email that already signs in to another
// platform adds a membership instead of answering "a user with this email already exists" (which told any platform
// owner who has an account elsewhere).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table core.memberships (
      user_id text not null references core.users(id),
      platform_id text not null references core.platforms(id),
      role text not null check (role in ('owner', 'member')),
      -- when the invitation was created: what the platform's team page shows, never when the person joined PIK
      created_at timestamptz not null default now(),
      -- null until the person uses the invitation (or the owner's set-password link): until then they cannot enter
      accepted_at timestamptz,
      removed_at timestamptz
    );
    create unique index memberships_live on core.memberships (user_id, platform_id) where removed_at is null;
    create index memberships_platform on core.memberships (platform_id, created_at) where removed_at is null;

    -- Every existing user was one membership; one who had no password yet had not accepted.
    insert into core.memberships (user_id, platform_id, role, created_at, accepted_at, removed_at)
      select id, platform_id, role, created_at, case when password_hash is not null then created_at end, removed_at
      from core.users;

    -- A link is for one person joining one platform.
    alter table core.password_tokens add column platform_id text references core.platforms(id);
    update core.password_tokens t set platform_id = u.platform_id from core.users u where u.id = t.user_id;
    alter table core.password_tokens alter column platform_id set not null;

    -- users.removed_at stays: it marks people removed before memberships existed, and users_email_live still keys on it.
    alter table core.users drop column platform_id;
    alter table core.users drop column role;
  `.execute(db);
}
