// Balances and transaction history for the dashboard's account page: the single place that connects the dashboard to the ledger.
import type { Environment } from '../../lib/environments.ts';
import { formatMinor, parseCurrency } from '../../lib/money.ts';
import type { Deps } from '../deps.ts';
import { readWalletBalances } from '../ledger/ledger.ts';

export interface DashboardBalance {
  currency: string;
  /** Decimal strings, as the API shows them. */
  available: string;
  pending: string;
}

export interface DashboardTransaction {
  id: string;
  type: string;
  currency: string;
  amount: string;
  fee: string;
  netAmount: string;
  status: string;
  reference: string | null;
  counterparty: string | null;
  createdAt: Date;
}

export interface AccountMoney {
  balances: DashboardBalance[];
  transactions: DashboardTransaction[];
}

export interface AccountMoneyQuery {
  environment: Environment;
  platformId: string;
  accountId: string;
  /** Latest transactions to show. */
  limit: number;
}

/** One line for support staff: who the money came from or went to. */
function describeCounterparty(counterparty: Record<string, unknown> | null): string | null {
  if (!counterparty) return null;
  const parts = [counterparty.account_id, counterparty.name, counterparty.account_name, counterparty.bsb, counterparty.account_number, counterparty.address]
    .filter((v): v is string => typeof v === 'string' && v.length > 0);
  const type = typeof counterparty.type === 'string' ? counterparty.type.replace(/_/g, ' ') : 'counterparty';
  return parts.length > 0 ? `${type}: ${parts.join(' ')}` : type;
}

/** The account's balances and latest transactions. The caller has already checked that the account belongs to `platformId`. */
export async function readAccountMoney(deps: Deps, query: AccountMoneyQuery): Promise<AccountMoney> {
  const db = deps.db.env(query.environment);
  const balances = await readWalletBalances(db, query.accountId);
  const rows = await db
    .selectFrom('transactions')
    .selectAll()
    .where('account_id', '=', query.accountId)
    .where('platform_id', '=', query.platformId)
    .orderBy('id', 'desc')
    .limit(query.limit)
    .execute();
  return {
    balances: balances.map((b) => ({ currency: b.currency, available: formatMinor(b.available, b.currency), pending: formatMinor(b.pending, b.currency) })),
    transactions: rows.map((row) => {
      const currency = parseCurrency(row.currency);
      return {
        id: row.id,
        type: row.type,
        currency,
        amount: formatMinor(row.amount, currency),
        fee: formatMinor(row.fee, currency),
        netAmount: formatMinor(row.amount - row.fee, currency),
        status: row.status,
        reference: row.reference,
        counterparty: describeCounterparty(row.counterparty),
        createdAt: row.created_at,
      };
    }),
  };
}
