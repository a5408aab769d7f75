// A ledger movement in one call: lock the wallets' rows in order, refuse an overdraft, write the totals and append the
// entries, inside the database. The TypeScript decides the postings (src/domain/ledger/decisions.ts); this function is
// the guard, and it costs one round trip instead of two or three. A unit of work sends it together with the rest of
// its writes as one statement (UnitOfWork.write), so a transfer is one round trip in all.
//
// It refuses by raising an error of its own SQLSTATE, which src/domain/ledger/ledger.ts turns into the API's answer:
//   PK001  a wallet has no balance row yet (its first money in that currency): the unit of work is run again after the
//          rows are inserted on their own — see RetryUnitOfWork; DETAIL lists them as "account|currency" lines
//   PK002  a wallet would go below zero in a bucket: INSUFFICIENT_BALANCE; DETAIL is "account|currency"
// `expect_rows` lets one statement check what its parts wrote (PK003 with the part's label as the message): a
// guarded UPDATE that found nothing must fail the statement, and with it the transaction, not pass silently.
import { sql, type Kysely } from 'kysely';
import { environments } from '../../lib/environments.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const schema of environments) {
    const s = sql.id(schema);
    await sql`
      create function ${s}.post_movement(
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
              detail = (select string_agg(w.account || '|' || w.currency, e'\n')
                        from unnest(p_wallets, p_currencies) as w(account, currency)
                        where not exists (select 1 from ${s}.ledger_balances b where b.ledger_account = w.account and b.currency = w.currency));
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
  await sql`
    create function public.pik_expect_rows(p_actual bigint, p_expected bigint, p_label text) returns bigint
    language plpgsql as $fn$
    begin
      if p_actual <> p_expected then
        raise exception using errcode = 'PK003', message = p_label, detail = p_actual || ' rows, expected ' || p_expected;
      end if;
      return p_actual;
    end
    $fn$;
  `.execute(db);
}
