// Posting movements to the ledger: the TypeScript decides the postings, one database call guards and writes them.
import { sql } from 'kysely';
import type { Environment } from '../../lib/environments.ts';
import { statementsFor } from '../../db/statements.ts';
import { RetryUnitOfWork, type UnitOfWork } from '../../db/unit-of-work.ts';
import type { EnvDb, TransactionStatus, TransactionType } from '../../db/schema.ts';
import { currencies, type Currency } from '../../lib/currencies.ts';
import { idKindOf, newId } from '../../lib/ids.ts';
import { ApiError } from '../../lib/errors.ts';
import { assertBalanced, balanceKey, isClearingAccount, type Posting } from './decisions.ts';

/** What moved the money, by the kind of the id the movement is recorded under ("transfer", "payout", "unmatched_funds"). */
function movementTypeOf(movementId: string): string {
  const kind = idKindOf(movementId);
  return kind === undefined ? 'other' : kind.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function insufficientBalance(wallet: { ledgerAccount: string; currency: string }): ApiError {
  return new ApiError('INSUFFICIENT_BALANCE', undefined, { account_id: wallet.ledgerAccount, currency: wallet.currency });
}

/** "account|currency" lines, as post_movement names wallets in an error's DETAIL. */
function walletsIn(detail: unknown): { ledgerAccount: string; currency: Currency }[] {
  return String(detail ?? '')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const at = line.lastIndexOf('|');
      return { ledgerAccount: line.slice(0, at), currency: line.slice(at + 1) as Currency };
    });
}

/**
 * Posts a movement's postings (balanced per currency; checked here, a bug otherwise) as one queued write of the unit
 * of work: the database function post_movement (migration 0013) locks the wallets' balance rows in one fixed order,
 * refuses the movement if any wallet would go below zero in either bucket, adds the deltas to the running totals and
 * appends the entries. PIK's clearing accounts take entries alone: their balance is the sum of their entries
 * (clearingBalances), so no movement of one platform waits on a row another platform's movement holds.
 *
 * The refusal comes when the unit of work sends its writes, as INSUFFICIENT_BALANCE naming the wallet; nothing of the
 * unit commits. The decision is the TypeScript's (decisions.ts says which postings a movement makes); the guard is the
 * database's, on the latest committed balance under the row lock, so no stale read can overdraw a wallet — and the
 * CHECK constraint on the table stands behind it.
 *
 * A wallet's first money in a currency has no balance row to lock yet. Creating it here would take a lock out of
 * order (a second movement that already saw the new row locks it first and waits for ours: a deadlock), so the unit of
 * work is rolled back and run again (RetryUnitOfWork) after the missing rows are inserted on their own, outside any
 * transaction. It happens once per wallet and currency; an empty row is what a wallet that never held it shows.
 */
export function postMovement(work: UnitOfWork, environment: Environment, movementId: string, postings: Posting[], now: Date): void {
  assertBalanced(postings);
  const deltas = new Map<string, { ledgerAccount: string; currency: Currency; available: bigint; pending: bigint }>();
  for (const p of postings) {
    if (isClearingAccount(p.ledgerAccount)) continue;
    const key = balanceKey(p.ledgerAccount, p.currency);
    const d = deltas.get(key) ?? { ledgerAccount: p.ledgerAccount, currency: p.currency, available: 0n, pending: 0n };
    if (p.bucket === 'available') d.available += p.amount;
    else d.pending += p.amount;
    deltas.set(key, d);
  }
  const wallets = [...deltas.values()];
  const call = sql`select ${sql.id(environment, 'post_movement')}(
    ${movementId},
    ${wallets.map((w) => w.ledgerAccount)}::text[], ${wallets.map((w) => w.currency)}::text[],
    ${wallets.map((w) => w.available.toString())}::numeric[], ${wallets.map((w) => w.pending.toString())}::numeric[],
    ${postings.map((p) => p.ledgerAccount)}::text[], ${postings.map((p) => p.currency)}::text[],
    ${postings.map((p) => p.bucket)}::text[], ${postings.map((p) => p.amount.toString())}::bigint[],
    ${now}::timestamptz
  )`;
  work.write({
    statement: call,
    locksBalances: { environment, keys: wallets },
    movementType: movementTypeOf(movementId),
    expectRows: { count: 1, otherwise: () => new Error(`ledger: post_movement did not run for ${movementId}`) },
    translate: (error) => {
      const e = error as { code?: unknown; detail?: unknown } | null;
      if (e?.code === 'PK002') {
        const [wallet] = walletsIn(e.detail);
        return insufficientBalance(wallet ?? { ledgerAccount: String(e.detail), currency: '' });
      }
      if (e?.code === 'PK001') {
        const missing = walletsIn(e.detail);
        return new RetryUnitOfWork(`new balance rows: ${missing.map((k) => balanceKey(k.ledgerAccount, k.currency)).join(', ')}`, (db) => createBalanceRows(db.env(environment), missing));
      }
      return undefined;
    },
  });
}

/**
 * Empty balance rows; a row another movement created meanwhile is simply there. Outside a transaction (RetryUnitOfWork's
 * preparation), or inside one for the wallet of an account that same transaction creates, which nobody else can name.
 */
export async function createBalanceRows(db: EnvDb, keys: { ledgerAccount: string; currency: Currency }[]): Promise<void> {
  // None left to create: another transaction made them between post_movement's lock and its error (migration 0020).
  if (keys.length === 0) return;
  await db
    .insertInto('ledger_balances')
    .values(keys.map((k) => ({ ledger_account: k.ledgerAccount, currency: k.currency, is_clearing: false })))
    .onConflict((oc) => oc.doNothing())
    .execute();
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

/** Queues the history rows of a movement with the unit of work's other writes; returns their ids. */
export function insertTransactions(work: UnitOfWork, environment: Environment, rows: NewTransaction[], now: Date): string[] {
  const ids = rows.map(() => newId('transaction'));
  work.write({
    statement: statementsFor(environment).insertInto('transactions').values(
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
    ),
  });
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
