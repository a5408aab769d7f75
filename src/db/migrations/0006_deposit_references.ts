// Deposit references: a reference names one deposit to an account, forever, so a retried `pik deposits record`
// (or sandbox deposit) cannot credit the customer twice. The primary key decides, not a prior SELECT.
import { sql, type Kysely } from 'kysely';
import { environments } from '../../lib/environments.ts';

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const schema of environments) {
    const s = sql.id(schema);
    await sql`
      -- Inbound references are a namespace of their own: a deposit's reference is the payer's (the bank statement
      -- line's), unrelated to the references the account gives its own transfers and payouts (movement_references).
      create table ${s}.deposit_references (
        account_id text not null,
        reference text not null,
        deposit_id text not null,
        created_at timestamptz not null default now(),
        primary key (account_id, reference)
      );

      -- Deposits recorded before this migration claim their reference, the oldest first. A reference recorded twice
      -- already (the double credit this table prevents from now on) stays in the history as it is: the second deposit
      -- is a fact of the ledger, corrected, if it was a mistake, by a reversing movement, never by rewriting it.
      insert into ${s}.deposit_references (account_id, reference, deposit_id, created_at)
      select distinct on (account_id, reference) account_id, reference, id, created_at
      from ${s}.deposits
      where reference is not null
      order by account_id, reference, created_at, id
      on conflict do nothing;
    `.execute(db);
  }
}
