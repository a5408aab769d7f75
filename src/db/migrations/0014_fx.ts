// FX: the per-environment rate table the operator sets (sandbox seeded so a developer can convert at once), locked
// single-use quotes, and conversions. PIK's FX position is a clearing account ('clearing:fx'): entries only, no row.
import { sql, type Kysely } from 'kysely';
import { environments } from '../../lib/environments.ts';

/** Sandbox's starting table (docs/fx.md): rough mid rates, pinned so they never go stale. Every pair crosses through USD. */
const sandboxSeed: { base: string; quote: string; mid: string; spreadBps: number }[] = [
  { base: 'AUD', quote: 'USD', mid: '0.65', spreadBps: 30 },
  { base: 'USD', quote: 'HKD', mid: '7.8', spreadBps: 30 },
  { base: 'USD', quote: 'SGD', mid: '1.35', spreadBps: 30 },
  { base: 'USDT', quote: 'USD', mid: '1', spreadBps: 10 },
  { base: 'USDC', quote: 'USD', mid: '1', spreadBps: 10 },
];

/** What a quote and a conversion both hold: an account's exchange of one amount for another at a rate (its text). */
const exchangeColumns = sql`
  id text primary key,
  platform_id text not null,
  account_id text not null,
  sell_currency text not null,
  buy_currency text not null,
  sell_amount bigint not null check (sell_amount > 0),
  buy_amount bigint not null check (buy_amount > 0),
  rate text not null`;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const schema of environments) {
    const s = sql.id(schema);
    await sql`
      -- One mid rate per pair, in one direction: 1 base = mid quote. Setting B/A replaces A/B (one source of truth).
      -- mid is kept as the decimal text the operator typed: it is read as an exact rational, never as a float.
      create table ${s}.fx_rates (
        base text not null,
        quote text not null,
        mid text not null check (mid ~ '^(0|[1-9][0-9]{0,6})(\\.[0-9]{1,12})?$'),
        spread_bps integer not null check (spread_bps between 0 and 1000),
        as_of timestamptz not null,
        -- sandbox's seeded rates: simulated, so they never go stale (an operator's set replaces them with a dated one)
        pinned boolean not null default false,
        set_by text not null,
        primary key (base, quote),
        check (base <> quote)
      );

      create table ${s}.fx_quotes (
        ${exchangeColumns},
        fixed_side text not null check (fixed_side in ('sell', 'buy')),
        status text not null check (status in ('active', 'used')),
        conversion_id text,
        expires_at timestamptz not null,
        created_at timestamptz not null,
        used_at timestamptz,
        constraint used_has_conversion check ((status = 'used') = (conversion_id is not null))
      );

      create table ${s}.fx_conversions (
        ${exchangeColumns},
        conversion_type text not null check (conversion_type in ('rate', 'quote')),
        -- a quote converts once: the guarded update of the quote decides, and this index backs it up
        quote_id text unique,
        reference text,
        created_at timestamptz not null,
        check (sell_currency <> buy_currency),
        check ((conversion_type = 'quote') = (quote_id is not null))
      );
      create index fx_conversions_account on ${s}.fx_conversions (account_id, id);
      create index fx_conversions_platform on ${s}.fx_conversions (platform_id, id);
    `.execute(db);
  }
  for (const rate of sandboxSeed) {
    await sql`
      insert into sandbox.fx_rates (base, quote, mid, spread_bps, as_of, pinned, set_by)
      values (${rate.base}, ${rate.quote}, ${rate.mid}, ${rate.spreadBps}, now(), true, 'seed')
    `.execute(db);
  }
}
