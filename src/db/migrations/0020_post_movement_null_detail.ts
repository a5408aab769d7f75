// post_movement again (migration 0013), with one fix: when a wallet's balance row is missing at the lock and another
// transaction creates it before the error's detail is read (READ COMMITTED: each statement of the function sees the
// latest commits), the detail's list is empty, and string_agg of nothing is null — and RAISE refuses a null option
// ("RAISE statement option cannot be null", 22004), which no caller translates: a 500 where the unit of work should
// have been retried. The detail is now '' then; the caller (src/domain/ledger/ledger.ts) retries with no rows to create.
import { sql, type Kysely } from 'kysely';
import { environments } from '../../lib/environments.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const schema of environments) {
    const s = sql.id(schema);
    await sql`
      create or replace function ${s}.post_movement(
        p_movement text,
        -- the net change of each wallet row (one element per row; PIK's clearing accounts are never here)
        p_wallets text[], p_currencies text[], p_available numeric[], p_pending numeric[],
        -- the movement's entries, wallets and clearing accounts alike
        p_entry_accounts text[], p_entry_currencies text[], p_entry_buckets text[], p_entry_amounts bigint[],
        p_now timestamptz
      ) returns int language plpgsql as $fn$
      declare
        v_locked int;
        v_short text;
      begin
        if cardinality(p_wallets) > 0 then
          -- One fixed order (ledger account, then currency) for every movement: two movements over the same wallets
          -- wait for each other instead of each holding one row the other needs.
          select count(*) into v_locked from (
            select 1 from ${s}.ledger_balances b
            join unnest(p_wallets, p_currencies) as w(account, currency) on b.ledger_account = w.account and b.currency = w.currency
            order by b.ledger_account, b.currency
            for update of b
          ) as locked;
          if v_locked < cardinality(p_wallets) then
            raise exception using errcode = 'PK001', message = 'a wallet has no balance row in this currency yet',
              -- Looked up again by this statement's own snapshot: a row another transaction created since the lock
              -- above is found now, and when all were, the list is empty (never null: RAISE refuses a null option).
              detail = coalesce((select string_agg(w.account || '|' || w.currency, e'\n')
                        from unnest(p_wallets, p_currencies) as w(account, currency)
                        where not exists (select 1 from ${s}.ledger_balances b where b.ledger_account = w.account and b.currency = w.currency)), '');
          end if;
          -- The guard, on the rows just locked: their latest committed values.
          select w.account || '|' || w.currency into v_short
          from unnest(p_wallets, p_currencies, p_available, p_pending) as w(account, currency, da, dp)
          join ${s}.ledger_balances b on b.ledger_account = w.account and b.currency = w.currency
          where b.available + w.da < 0 or b.pending + w.dp < 0
          order by w.account, w.currency
          limit 1;
          if v_short is not null then
            raise exception using errcode = 'PK002', message = 'insufficient balance', detail = v_short;
          end if;
          update ${s}.ledger_balances as b
          set available = b.available + w.da, pending = b.pending + w.dp, updated_at = p_now
          from unnest(p_wallets, p_currencies, p_available, p_pending) as w(account, currency, da, dp)
          where b.ledger_account = w.account and b.currency = w.currency;
        end if;
        insert into ${s}.ledger_entries (movement_id, ledger_account, currency, bucket, amount, created_at)
        select p_movement, e.account, e.currency, e.bucket, e.amount, p_now
        from unnest(p_entry_accounts, p_entry_currencies, p_entry_buckets, p_entry_amounts) as e(account, currency, bucket, amount);
        return cardinality(p_entry_accounts);
      end
      $fn$;
    `.execute(db);
  }
}
