// Payment links, the payments made against them, the inbound funds no active link could take (held for the operator),
// and the marks that tie a deposit to its payment and a webhook endpoint to the link it belongs to.
import { sql, type Kysely } from 'kysely';
import { environments } from '../../lib/environments.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const schema of environments) {
    const s = sql.id(schema);
    await sql`
      create table ${s}.payment_links (
        id text primary key,
        platform_id text not null,
        account_id text not null,
        amount_type text not null check (amount_type in ('fixed', 'open')),
        currency text not null,
        amount bigint check (amount > 0),
        reference text not null,
        -- the matching key: the reference trimmed and upper-cased (what a payer types is compared the same way)
        reference_key text not null,
        status text not null check (status in ('active', 'paid', 'expired', 'cancelled')),
        single_use boolean not null,
        merchant_name text,
        merchant_logo_url text,
        redirect_url text,
        webhook_url text,
        -- the hidden webhook endpoint that receives this link's payment.* events (webhook_endpoints.payment_link_id)
        webhook_endpoint_id text,
        metadata jsonb,
        expires_at timestamptz,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        ended_at timestamptz,
        constraint payment_links_amount_fixed check ((amount_type = 'fixed') = (amount is not null)),
        constraint payment_links_ended check ((status = 'active') = (ended_at is null))
      );
      -- A reference names one active link of an account: this index decides two concurrent creates.
      create unique index payment_links_active_reference on ${s}.payment_links (account_id, reference_key) where status = 'active';
      create index payment_links_reference on ${s}.payment_links (account_id, reference_key, id);
      create index payment_links_platform on ${s}.payment_links (platform_id, id);
      create index payment_links_due on ${s}.payment_links (expires_at) where status = 'active' and expires_at is not null;

      create table ${s}.payments (
        id text primary key,
        platform_id text not null,
        account_id text not null,
        payment_link_id text not null references ${s}.payment_links(id),
        currency text not null,
        reference text not null,
        amount_expected bigint check (amount_expected > 0),
        amount_received bigint not null default 0 check (amount_received >= 0),
        status text not null check (status in ('awaiting_funds', 'underpaid', 'settled', 'overpaid', 'expired')),
        partial boolean not null default false,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        settled_at timestamptz,
        expired_at timestamptz,
        constraint payments_partial_settled check (not partial or status = 'settled')
      );
      -- One payment open (collecting funds) per link at a time.
      create unique index payments_one_open on ${s}.payments (payment_link_id) where status in ('awaiting_funds', 'underpaid');
      create index payments_platform on ${s}.payments (platform_id, id);
      create index payments_link on ${s}.payments (payment_link_id, id);

      create table ${s}.unmatched_funds (
        id text primary key,
        platform_id text not null,
        account_id text not null,
        currency text not null,
        amount bigint not null check (amount > 0),
        reference text,
        deposit_id text,
        payment_id text,
        payment_link_id text,
        reason text not null check (reason in ('link_paid', 'link_expired', 'link_cancelled', 'currency_mismatch', 'payment_expired')),
        status text not null check (status in ('held', 'assigned', 'returned')),
        -- the payment_in of the account once assigned
        transaction_id text,
        note text,
        created_at timestamptz not null,
        resolved_at timestamptz,
        constraint unmatched_funds_resolved check ((status = 'held') = (resolved_at is null))
      );
      create index unmatched_funds_held on ${s}.unmatched_funds (id) where status = 'held';
      create index unmatched_funds_platform on ${s}.unmatched_funds (platform_id, id);

      -- A deposit matched to a payment is held in the wallet's pending until the payment settles; one that no active
      -- link could take has no wallet transaction at all (it is in unmatched_funds).
      alter table ${s}.deposits alter column transaction_id drop not null;
      alter table ${s}.deposits add column payment_id text;
      alter table ${s}.deposits add column unmatched_funds_id text;
      create index deposits_payment on ${s}.deposits (payment_id) where payment_id is not null;

      alter table ${s}.webhook_endpoints add column payment_link_id text;
    `.execute(db);
  }
}
