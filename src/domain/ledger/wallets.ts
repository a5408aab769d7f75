// Reading a wallet: balances per currency and the transaction history, for the platform and its connected accounts.
import type { EnvDb, TransactionRow, TransactionType } from '../../db/schema.ts';
import { parseCurrency } from '../../lib/money.ts';
import { resolvePathAccount } from '../accounts/accounts.ts';
import type { Scope } from '../../lib/actor.ts';
import type { Deps } from '../deps.ts';
import { invalidField } from '../../lib/errors.ts';
import { parseInstant, type Instant } from '../../lib/instants.ts';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.ts';
import { readWalletBalances, type WalletBalance } from './ledger.ts';

export async function getWalletBalances(deps: Deps, scope: Scope, accountId: string): Promise<{ accountId: string; balances: WalletBalance[] }> {
  const account = await resolvePathAccount(deps, scope, accountId);
  return { accountId: account.id, balances: await readWalletBalances(deps.db.env(scope.environment), account.id) };
}

export interface TransactionFilter {
  currency?: string | undefined;
  type?: TransactionType | undefined;
  fromDate?: string | undefined;
  toDate?: string | undefined;
}

/** A date (whole UTC day) or an ISO 8601 date-time (UTC when it has no offset), read by lib/instants.ts. */
function parseDateBound(value: string, field: string): Instant {
  const instant = parseInstant(value);
  if (!instant) {
    throw invalidField(field, `${field} must be a real date (YYYY-MM-DD) or an ISO 8601 date-time such as 2024-05-01T09:30:00Z (UTC when it has no offset).`);
  }
  return instant;
}

/** What a transaction nets the account: its signed amount less the fee (shown as net_amount). */
export function netAmountOf(row: Pick<TransactionRow, 'amount' | 'fee'>): bigint {
  return row.amount - row.fee;
}

/** The API's history of one account (GET /accounts/{id}/transactions), for the account in scope. */
export async function listTransactions(deps: Deps, scope: Scope, accountId: string, page: PageRequest, filter: TransactionFilter): Promise<Page<TransactionRow>> {
  const account = await resolvePathAccount(deps, scope, accountId);
  return readTransactions(deps.db.env(scope.environment), account.id, page, filter);
}

/**
 * The one transactions query, for the API and the dashboard; the caller has already decided the account is visible.
 * Newest first, by id (time-sortable, unique): a stable order for cursor paging even within one millisecond.
 */
export async function readTransactions(db: EnvDb, accountId: string, page: PageRequest, filter: TransactionFilter = {}): Promise<Page<TransactionRow>> {
  const after = decodeCursor(page.cursor, 'transaction');
  let query = db.selectFrom('transactions').selectAll().where('account_id', '=', accountId);
  if (filter.currency !== undefined) query = query.where('currency', '=', parseCurrency(filter.currency));
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  const from = filter.fromDate === undefined ? undefined : parseDateBound(filter.fromDate, 'from_date').start;
  // Both bounds are inclusive: to_date's whole day, or its millisecond, is in the range, so it ends (exclusive) after it.
  const to = filter.toDate === undefined ? undefined : parseDateBound(filter.toDate, 'to_date').end;
  if (from && to && from >= to) throw invalidField('to_date', 'to_date must not be before from_date.');
  if (from) query = query.where('created_at', '>=', from);
  if (to) query = query.where('created_at', '<', to);
  if (after) query = query.where('id', '<', after);
  const rows = await query.orderBy('id', 'desc').limit(page.limit + 1).execute();
  return toPage(rows, page.limit);
}
