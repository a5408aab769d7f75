// Onboarding: submitted identity (KYC/KYB) and its review state, and per-account crypto receiving addresses.
import { sql, type Kysely } from 'kysely';
import { environments } from '../../lib/environments.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const schema of environments) {
    const s = sql.id(schema);
    await sql`
      -- One row per account that has submitted identity; the status itself stays on accounts.verification_status
      -- (the capability gate and the capabilities_need_approval constraint read it there).
      create table ${s}.verifications (
        account_id text primary key references ${s}.accounts(id),
        platform_id text not null,
        kind text not null check (kind in ('kyc', 'kyb')),
        -- the normalised identity as submitted; never logged, id numbers only ever shown masked
        identity jsonb not null,
        submission_count integer not null default 1,
        submitted_at timestamptz not null,
        reason text,
        decided_at timestamptz,
        decided_by text check (decided_by in ('operator', 'sandbox')),
        updated_at timestamptz not null default now()
      );
      create index verifications_queue on ${s}.verifications (submitted_at, account_id);

      create table ${s}.receiving_addresses (
        account_id text not null references ${s}.accounts(id),
        currency text not null check (currency in ('USDT', 'USDC')),
        network text not null check (network in ('solana')),
        address text not null,
        created_at timestamptz not null default now(),
        primary key (account_id, currency, network)
      );
      create unique index receiving_addresses_address on ${s}.receiving_addresses (network, address);
    `.execute(db);
  }
}
