// Ledger test helpers: put an account into a verified state, and check the ledger's invariants straight from the tables.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Environment } from '../../src/lib/environments.ts';
import type { Database } from '../../src/db/database.ts';
import type { Capability } from '../../src/lib/capabilities.ts';
import { runUnitOfWork } from '../../src/db/unit-of-work.ts';
import type { TestContext } from './context.ts';

/** Stands in for the onboarding flow (KYC + decision + activation), which lives in another module. */
export async function approveAccount(
  ctx: TestContext,
  environment: Environment,
  accountId: string,
  capabilities: Capability[] = ['inbound_payments', 'payouts', 'fx_conversion'],
): Promise<void> {
  await runUnitOfWork(ctx.services.db, async (work) => {
    const tx = await work.transaction();
    await tx.env(environment).updateTable('accounts').set({ verification_status: 'approved', capabilities }).where('id', '=', accountId).execute();
    await ctx.services.invalidation.publish(work, { kind: 'account', environment, accountId });
  });
}

export const bankDestination = { bsb: '062000', account_number: '12345678', account_name: 'Jane Citizen' };
/** A valid Solana address (the system program's is all ones; this one is a 32-byte key). */
export const solanaAddress = 'So11111111111111111111111111111111111111112';

export interface LedgerSnapshot {
  perCurrencyTotal: Map<string, bigint>;
  wallets: number;
}

/**
 * The invariants of spec §5, read from the database: no wallet below zero; entries of every movement balance;
 * the wallets' stored balances equal the sum of their entries exactly; clearing accounts have no stored balance (theirs
 * is the sum of their entries); every currency sums to zero over wallets and clearing accounts — PIK's FX position
 * included (all money enters through a clearing account); the FX position equals the conversions; and the history
 * reconciles with the balances.
 */
export async function checkLedgerInvariants(db: Database, environment: Environment): Promise<LedgerSnapshot> {
  const s = (name: string) => sql.table(`${environment}.${name}`);
  const negative = await sql<{ n: string }>`select count(*)::text as n from ${s('ledger_balances')} where not is_clearing and (available < 0 or pending < 0)`.execute(db.core);
  assert.equal(negative.rows[0]?.n, '0', 'a wallet is below zero');

  const unbalanced = await sql<{ movement_id: string }>`
    select movement_id from ${s('ledger_entries')} group by movement_id, currency having sum(amount) <> 0`.execute(db.core);
  assert.deepEqual(unbalanced.rows, [], 'a movement whose entries do not balance');

  const drift = await sql<{ ledger_account: string; currency: string }>`
    with e as (
      select ledger_account, currency,
        coalesce(sum(amount) filter (where bucket = 'available'), 0) as available,
        coalesce(sum(amount) filter (where bucket = 'pending'), 0) as pending
      from ${s('ledger_entries')} where ledger_account not like 'clearing:%' group by ledger_account, currency
    )
    select coalesce(b.ledger_account, e.ledger_account) as ledger_account, coalesce(b.currency, e.currency) as currency
    from ${s('ledger_balances')} b full join e on e.ledger_account = b.ledger_account and e.currency = b.currency
    where coalesce(b.available, 0) <> coalesce(e.available, 0) or coalesce(b.pending, 0) <> coalesce(e.pending, 0)`.execute(db.core);
  assert.deepEqual(drift.rows, [], 'stored balances differ from the sum of their entries');

  // PIK's clearing accounts keep no balance row: their balance is the sum of their entries (postMovement).
  const clearingRows = await sql<{ n: string }>`select count(*)::text as n from ${s('ledger_balances')} where ledger_account like 'clearing:%' or is_clearing`.execute(db.core);
  assert.equal(clearingRows.rows[0]?.n, '0', 'a clearing account has a balance row');

  // Wallets' stored balances plus the clearing accounts' entries. As text: balances are numeric(38,0), so a broken
  // total may not fit a bigint; the assertion should show it.
  const totals = await sql<{ currency: string; total: string }>`
    select currency, sum(total)::text as total from (
      select currency, available + pending as total from ${s('ledger_balances')}
      union all
      select currency, amount from ${s('ledger_entries')} where ledger_account like 'clearing:%'
    ) all_money group by currency`.execute(db.core);
  const perCurrencyTotal = new Map(totals.rows.map((r) => [r.currency, BigInt(r.total)]));
  for (const [currency, total] of perCurrencyTotal) assert.equal(total, 0n, `${currency} does not sum to zero`);

  // available = settled history + payouts still pending (held); pending = incoming payments not yet settled.
  const history = await sql<{ ledger_account: string; currency: string }>`
    with h as (
      select account_id, currency,
        coalesce(sum(amount) filter (where status = 'settled' or (status = 'pending' and type = 'payment_out')), 0) as available,
        coalesce(sum(amount) filter (where status = 'pending' and type = 'payment_in'), 0) as pending
      from ${s('transactions')} group by account_id, currency
    )
    select b.ledger_account, b.currency from ${s('ledger_balances')} b left join h on h.account_id = b.ledger_account and h.currency = b.currency
    where not b.is_clearing and (b.available <> coalesce(h.available, 0) or b.pending <> coalesce(h.pending, 0))`.execute(db.core);
  assert.deepEqual(history.rows, [], 'the transaction history does not reconcile with the balances');

  // PIK's FX position (clearing:fx) holds exactly what conversions sold to PIK less what they bought from it, per
  // currency; and each conversion shows in the history as its two fx_conversion transactions, sell and buy.
  const position = await sql<{ currency: string }>`
    with e as (
      select currency, sum(amount) as total from ${s('ledger_entries')} where ledger_account = 'clearing:fx' group by currency
    ), c as (
      select currency, sum(amount) as total from (
        select sell_currency as currency, sell_amount as amount from ${s('fx_conversions')}
        union all
        select buy_currency, -buy_amount from ${s('fx_conversions')}
      ) sides group by currency
    )
    select coalesce(e.currency, c.currency) as currency from e full join c on c.currency = e.currency
    where coalesce(e.total, 0) <> coalesce(c.total, 0)`.execute(db.core);
  assert.deepEqual(position.rows, [], "PIK's FX position differs from the conversions");
  const unmatched = await sql<{ id: string }>`
    select c.id from ${s('fx_conversions')} c
    where (select count(*) from ${s('transactions')} t where t.movement_id = c.id and t.type = 'fx_conversion' and t.account_id = c.account_id
             and ((t.currency = c.sell_currency and t.amount = -c.sell_amount) or (t.currency = c.buy_currency and t.amount = c.buy_amount))) <> 2`.execute(db.core);
  assert.deepEqual(unmatched.rows, [], 'a conversion without its two fx_conversion transactions');

  const wallets = await sql<{ n: string }>`select count(*)::text as n from ${s('ledger_balances')} where not is_clearing`.execute(db.core);
  return { perCurrencyTotal, wallets: Number(wallets.rows[0]?.n ?? 0) };
}
