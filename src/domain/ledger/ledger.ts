// Posting movements to the ledger inside a transaction: lock, decide, guarded write, immutable entries.
import { sql } from 'kysely';
import type { Environment } from '../../lib/environments.ts';
import type { Tx } from '../../db/database.ts';
import { RetryUnitOfWork } from '../../db/unit-of-work.ts';
import type { EnvDb, TransactionStatus, TransactionType } from '../../db/schema.ts';
import { currencies, type Currency } from '../../lib/currencies.ts';
import { newId } from '../../lib/ids.ts';
import { ApiError } from '../../lib/errors.ts';
import { applyPostings, assertBalanced, balanceKey, isClearingAccount, type Balance, type Decision, type Posting } from './decisions.ts';

interface Row {
  ledger_account: string;
  currency: string;
  available: bigint;
  pending: bigint;
}

/**
 * Locks the balance rows a movement touches, in one fixed order (ledger account, then currency). The fixed order
 * prevents the deadlock of A→B and B→A transfers each holding one row and waiting for the other; holding the locks
 * until commit prevents the lost update of two debits that both read the old balance.
 *
 * A row that does not exist yet (a wallet's first money in a currency) cannot be created here: the locks taken on the
 * rows before it in this statement would then be held while its insert waits, outside the order — a second movement
 * that already saw the new row locks it first and waits for ours, a deadlock. So the unit of work is rolled back and
 * run again (RetryUnitOfWork) after the missing rows are inserted on their own, outside any transaction, before any
 * lock is taken. It happens once per wallet and currency; an empty row is what a wallet that never held it shows.
 */
export async function lockBalances(tx: Tx, environment: Environment, keys: { ledgerAccount: string; currency: Currency }[]): Promise<Map<string, Balance>> {
  const unique = [...new Map(keys.map((k) => [balanceKey(k.ledgerAccount, k.currency), k])).values()].sort((a, b) =>
    a.ledgerAccount === b.ledgerAccount ? (a.currency < b.currency ? -1 : 1) : a.ledgerAccount < b.ledgerAccount ? -1 : 1,
  );
  const rows: Row[] = await tx
    .env(environment)
    .selectFrom('ledger_balances')
    .select(['ledger_account', 'currency', 'available', 'pending'])
    .where((eb) => eb.or(unique.map((k) => eb.and([eb('ledger_account', '=', k.ledgerAccount), eb('currency', '=', k.currency)]))))
    .orderBy('ledger_account')
    .orderBy('currency')
    .forUpdate()
    .execute();
  if (rows.length < unique.length) {
    const found = new Set(rows.map((r) => balanceKey(r.ledger_account, r.currency)));
    const missing = unique.filter((k) => !found.has(balanceKey(k.ledgerAccount, k.currency)));
    throw new RetryUnitOfWork(`new balance rows: ${missing.map((k) => balanceKey(k.ledgerAccount, k.currency)).join(', ')}`, (db) => createBalanceRows(db.env(environment), missing));
  }
  return new Map(rows.map((r) => [balanceKey(r.ledger_account, r.currency), { available: r.available, pending: r.pending }]));
}

/**
 * Empty balance rows; a row another movement created meanwhile is simply there. Outside a transaction (RetryUnitOfWork's
 * preparation), or inside one for the wallet of an account that same transaction creates, which nobody else can name.
 */
export async function createBalanceRows(db: EnvDb, keys: { ledgerAccount: string; currency: Currency }[]): Promise<void> {
  await db
    .insertInto('ledger_balances')
    .values(keys.map((k) => ({ ledger_account: k.ledgerAccount, currency: k.currency, is_clearing: false })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export function insufficientBalance(rejection: Pick<Extract<Decision, { ok: false }>['rejection'], 'ledgerAccount' | 'currency'>): ApiError {
  return new ApiError('INSUFFICIENT_BALANCE', undefined, {
    account_id: rejection.ledgerAccount,
    currency: rejection.currency,
  });
}

/**
 * The guarded write of a movement's postings to the running totals, whatever decided them. All or nothing: if any
 * wallet row would go below zero (or is missing), no row is written and the movement is refused with
 * INSUFFICIENT_BALANCE naming that wallet — a business refusal that leaves the transaction usable, not a CHECK
 * violation that aborts it. This is the last line against an overdraft when a caller's view of the balances is stale
 * (it skipped the lock, or decided on an old read): the per-row condition in the UPDATE is re-evaluated by PostgreSQL
 * on the latest version of each row under READ COMMITTED, and the CHECK constraint backs it up.
 */
export async function applyBalanceDeltas(
  tx: Tx,
  environment: Environment,
  postings: Posting[],
  now: Date,
  /** The movement's entries, appended by the same statement when no wallet is refused: one round trip, not two. */
  entries?: { movementId: string; postings: Posting[] },
): Promise<void> {
  const deltas = new Map<string, { ledgerAccount: string; currency: string; available: bigint; pending: bigint }>();
  for (const p of postings) {
    const key = balanceKey(p.ledgerAccount, p.currency);
    const d = deltas.get(key) ?? { ledgerAccount: p.ledgerAccount, currency: p.currency, available: 0n, pending: 0n };
    if (p.bucket === 'available') d.available += p.amount;
    else d.pending += p.amount;
    deltas.set(key, d);
  }
  const balances = sql.table(`${environment}.ledger_balances`);
  const values = sql.join([...deltas.values()].map((d) => sql`(${d.ledgerAccount}, ${d.currency}, ${d.available}::numeric, ${d.pending}::numeric)`));
  const stays = sql`(b.available + v.da >= 0 and b.pending + v.dp >= 0)`;
  // Entries are appended only when every wallet takes its delta: the same condition as the update's, on the same
  // snapshot, so a refused movement leaves neither totals nor entries.
  const appendEntries = entries
    ? sql`, appended as (
      insert into ${sql.table(`${environment}.ledger_entries`)} (movement_id, ledger_account, currency, bucket, amount, created_at)
      select e.movement_id, e.ledger_account, e.currency, e.bucket, e.amount::bigint, ${now}::timestamptz
      from (values ${sql.join(entries.postings.map((p) => sql`(${entries.movementId}, ${p.ledgerAccount}, ${p.currency}, ${p.bucket}, ${p.amount}::bigint)`))})
        as e(movement_id, ledger_account, currency, bucket, amount)
      where not exists (select 1 from refused)
    )`
    : sql``;
  const result = await sql<{ updated: number; account: string | null; currency: string | null }>`
    with v(account, currency, da, dp) as (values ${values}),
    refused as (
      select v.account, v.currency from v left join ${balances} as b on b.ledger_account = v.account and b.currency = v.currency
      where b.ledger_account is null or not ${stays}
    ),
    updated as (
      update ${balances} as b
      set available = b.available + v.da, pending = b.pending + v.dp, updated_at = ${now}
      from v
      where b.ledger_account = v.account and b.currency = v.currency and ${stays} and not exists (select 1 from refused)
      returning b.ledger_account
    )${appendEntries}
    select (select count(*) from updated)::int as updated, r.account, r.currency
    from (select 1) as one left join lateral (select account, currency from refused limit 1) as r on true
  `.execute(tx.env(environment));
  const row = result.rows[0];
  if (row?.updated !== deltas.size) {
    const first = [...deltas.values()][0] as { ledgerAccount: string; currency: string };
    throw insufficientBalance({ ledgerAccount: row?.account ?? first.ledgerAccount, currency: (row?.currency ?? first.currency) as Currency });
  }
}

/**
 * Applies a movement: lock rows in order, check with the pure rule, write the new totals with a guarded UPDATE,
 * append the entries. `decide` sees the locked balances (so its decision cannot be invalidated before commit).
 */
export async function postMovement(
  tx: Tx,
  environment: Environment,
  movementId: string,
  decide: (balances: ReadonlyMap<string, Balance>) => Decision,
  keys: { ledgerAccount: string; currency: Currency }[],
  now: Date,
): Promise<Posting[]> {
  const db = tx.env(environment);
  // Only wallets are locked and carry a running total. PIK's clearing accounts take entries alone: their balance is
  // the sum of their entries (clearingBalances), so no movement of one platform waits on a row another platform's
  // movement holds.
  const walletKeys = keys.filter((k) => !isClearingAccount(k.ledgerAccount));
  const balances = walletKeys.length > 0 ? await lockBalances(tx, environment, walletKeys) : new Map<string, Balance>();
  const decision = decide(balances);
  if (!decision.ok) throw insufficientBalance(decision.rejection);
  const { postings } = decision;
  assertBalanced(postings);
  const applied = applyPostings(balances, postings);
  if (!applied.ok) throw insufficientBalance(applied.rejection);

  const walletPostings = postings.filter((p) => !isClearingAccount(p.ledgerAccount));
  if (walletPostings.length > 0) {
    await applyBalanceDeltas(tx, environment, walletPostings, now, { movementId, postings });
  } else {
    // Only clearing accounts move (a payout completing): nothing to guard, the entries are the whole movement.
    await db
      .insertInto('ledger_entries')
      .values(postings.map((p) => ({ movement_id: movementId, ledger_account: p.ledgerAccount, currency: p.currency, bucket: p.bucket, amount: p.amount, created_at: now })))
      .execute();
  }
  return postings;
}

export interface NewTransaction {
  platformId: string;
  accountId: string;
  movementId: string;
  type: TransactionType;
  currency: Currency;
  /** Signed: negative for money leaving the account. */
  amount: bigint;
  status: TransactionStatus;
  reference: string | null;
  counterparty: Record<string, unknown> | null;
}

export async function insertTransactions(tx: Tx, environment: Environment, rows: NewTransaction[], now: Date): Promise<string[]> {
  const ids = rows.map(() => newId('transaction'));
  await tx
    .env(environment)
    .insertInto('transactions')
    .values(
      rows.map((r, i) => ({
        id: ids[i] as string,
        platform_id: r.platformId,
        account_id: r.accountId,
        movement_id: r.movementId,
        type: r.type,
        currency: r.currency,
        amount: r.amount,
        status: r.status,
        reference: r.reference,
        counterparty: JSON.stringify(r.counterparty),
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
  return ids;
}

export interface WalletBalance {
  currency: Currency;
  available: bigint;
  pending: bigint;
}

/** Every supported currency, zero where the wallet has never held any. */
export async function readWalletBalances(db: EnvDb, accountId: string): Promise<WalletBalance[]> {
  const rows = await db.selectFrom('ledger_balances').select(['currency', 'available', 'pending']).where('ledger_account', '=', accountId).execute();
  const byCurrency = new Map(rows.map((r) => [r.currency, r]));
  return currencies.map((currency) => ({
    currency,
    available: byCurrency.get(currency)?.available ?? 0n,
    pending: byCurrency.get(currency)?.pending ?? 0n,
  }));
}

/**
 * The balances of PIK's clearing accounts in an environment, per account and currency: the sums of their entries (they
 * keep no running total; see postMovement). A reading for operators and for the invariant checks, not a hot path.
 */
export async function clearingBalances(db: EnvDb): Promise<{ ledgerAccount: string; currency: Currency; available: bigint; pending: bigint }[]> {
  const rows = await db
    .selectFrom('ledger_entries')
    .select([
      'ledger_account',
      'currency',
      sql<string>`coalesce(sum(amount) filter (where bucket = 'available'), 0)::text`.as('available'),
      sql<string>`coalesce(sum(amount) filter (where bucket = 'pending'), 0)::text`.as('pending'),
    ])
    .where('ledger_account', 'like', 'clearing:%')
    .groupBy(['ledger_account', 'currency'])
    .orderBy('ledger_account')
    .orderBy('currency')
    .execute();
  return rows.map((r) => ({ ledgerAccount: r.ledger_account, currency: r.currency as Currency, available: BigInt(r.available), pending: BigInt(r.pending) }));
}
