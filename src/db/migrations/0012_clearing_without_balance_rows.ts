// PIK's clearing accounts keep no running balance any more: every payout, deposit and platform funding of an
// environment used to lock and update the one row of its clearing account and currency, so all platforms queued on
// it. Their balance is the sum of their entries (the entries are unchanged and complete); wallets keep their rows.
import { sql, type Kysely } from 'kysely';
import { environments } from '../../lib/environments.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const schema of environments) {
    const s = sql.id(schema);
    await sql`
      delete from ${s}.ledger_balances where is_clearing;
      -- only wallets from now on: a clearing row written by mistake is refused, not silently kept up to date
      alter table ${s}.ledger_balances add constraint ledger_balances_wallets_only check (not is_clearing);
    `.execute(db);
  }
}
