// The ledger: balances and immutable double-entry lines per environment, the movements that post them
// (transfers, deposits, payouts), virtual account numbers, and stored idempotency keys.
import { sql, type Kysely } from 'kysely';
import { environments } from '../../lib/environments.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Virtual account numbers are unique across the whole system (both environments), so the registry is global.
    create table core.virtual_account_numbers (
      bsb text not null,
      account_number text not null,
      environment text not null check (environment in ('sandbox', 'production')),
      virtual_account_id text not null,
      created_at timestamptz not null default now(),
      primary key (bsb, account_number)
    );
  `.execute(db);

  for (const schema of environments) {
    const s = sql.id(schema);
    await sql`
      -- One row per (ledger account, currency). A ledger account is a wallet (an account id) or one of PIK's
      -- clearing accounts ('clearing:…'). The row is the running total of its entries, kept in the same transaction.
      create table ${s}.ledger_balances (
        ledger_account text not null,
        currency text not null check (currency in ('AUD', 'USD', 'HKD', 'SGD', 'USDT', 'USDC')),
        is_clearing boolean not null,
        available bigint not null default 0,
        pending bigint not null default 0,
        updated_at timestamptz not null default now(),
        primary key (ledger_account, currency),
        -- the last line of defence: whatever the code does, a wallet never goes below zero
        constraint wallet_not_negative check (is_clearing or (available >= 0 and pending >= 0))
      );

      -- Immutable double-entry lines: the entries of one movement sum to zero per currency.
      create table ${s}.ledger_entries (
        id bigint generated always as identity primary key,
        movement_id text not null,
        ledger_account text not null,
        currency text not null,
        bucket text not null check (bucket in ('available', 'pending')),
        amount bigint not null check (amount <> 0),
        created_at timestamptz not null default now()
      );
      create index ledger_entries_account on ${s}.ledger_entries (ledger_account, currency);
      create index ledger_entries_movement on ${s}.ledger_entries (movement_id);

      create function ${s}.forbid_ledger_entry_change() returns trigger language plpgsql as $$
      begin
        raise exception 'ledger entries are immutable: post a reversal instead of changing or deleting one';
      end
      $$;
      create trigger ledger_entries_immutable before update or delete on ${s}.ledger_entries
        for each row execute function ${s}.forbid_ledger_entry_change();
      create trigger ledger_entries_no_truncate before truncate on ${s}.ledger_entries
        for each statement execute function ${s}.forbid_ledger_entry_change();

      -- The history a platform sees: one row per account side of a movement (signed: debits are negative).
      create table ${s}.transactions (
        id text primary key,
        platform_id text not null,
        account_id text not null,
        movement_id text not null,
        type text not null check (type in ('payment_in', 'payment_out', 'fx_conversion', 'transfer_in', 'transfer_out', 'fee', 'reversal')),
        currency text not null,
        amount bigint not null,
        fee bigint not null default 0,
        status text not null check (status in ('pending', 'settled', 'failed')),
        reference text,
        counterparty jsonb,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create index transactions_account on ${s}.transactions (account_id, id);
      create index transactions_movement on ${s}.transactions (movement_id);

      -- A reference names one movement from an account, forever (transfers and payouts share the namespace).
      create table ${s}.movement_references (
        account_id text not null,
        reference text not null,
        movement_id text not null,
        created_at timestamptz not null default now(),
        primary key (account_id, reference)
      );

      create table ${s}.transfers (
        id text primary key,
        platform_id text not null,
        source_account_id text not null,
        destination_account_id text not null,
        currency text not null,
        amount bigint not null check (amount > 0),
        reference text,
        created_at timestamptz not null default now()
      );
      create index transfers_platform on ${s}.transfers (platform_id, id);

      create table ${s}.deposits (
        id text primary key,
        platform_id text not null,
        account_id text not null,
        currency text not null,
        amount bigint not null check (amount > 0),
        reference text,
        sender_name text,
        source text not null check (source in ('sandbox', 'operator')),
        status text not null check (status in ('pending', 'settled')),
        settle_at timestamptz,
        transaction_id text not null,
        created_at timestamptz not null default now(),
        settled_at timestamptz
      );
      create index deposits_due on ${s}.deposits (settle_at) where status = 'pending';

      create table ${s}.payouts (
        id text primary key,
        platform_id text not null,
        account_id text not null,
        currency text not null,
        amount bigint not null check (amount > 0),
        destination_type text not null check (destination_type in ('bank_account', 'crypto_address')),
        destination jsonb not null,
        reference text,
        status text not null check (status in ('pending', 'completed', 'failed')),
        failure_reason text,
        transaction_id text not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        -- a finished payout says why it failed, and only a failed one does
        constraint failure_reason_only_when_failed check ((status = 'failed') = (failure_reason is not null))
      );
      create index payouts_account on ${s}.payouts (account_id, id);
      create index payouts_platform on ${s}.payouts (platform_id, id);
      create index payouts_pending on ${s}.payouts (id) where status = 'pending';

      create table ${s}.virtual_accounts (
        id text primary key,
        platform_id text not null,
        account_id text not null,
        bsb text not null,
        account_number text not null,
        account_name text not null,
        status text not null check (status in ('active', 'released')),
        created_at timestamptz not null default now(),
        released_at timestamptz
      );
      create unique index virtual_accounts_one_active on ${s}.virtual_accounts (account_id) where status = 'active';

      -- Idempotency-Key records (spec §2), per platform and environment, kept 24 hours.
      create table ${s}.idempotency_keys (
        platform_id text not null,
        key text not null,
        request_hash text not null,
        claim_token text not null,
        locked_until timestamptz not null,
        committed_at timestamptz,
        response_status integer,
        response_body text,
        created_at timestamptz not null default now(),
        expires_at timestamptz not null,
        primary key (platform_id, key)
      );
    `.execute(db);
  }
}
