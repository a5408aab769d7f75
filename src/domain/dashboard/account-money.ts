// Balances and transaction history for the dashboard's account page. The ledger is built on its own branch; this is
// the single place that connects the dashboard to it. Until it is wired, the page says the ledger is not installed.
import type { Environment } from '../../config.ts';
import type { Deps } from '../deps.ts';

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

/**
 * The account's balances and latest transactions, or null when this build has no ledger.
 *
 * LEAD: wire the ledger here after merging it — call its balance and transaction-list domain functions for
 * (environment, accountId) and map them to the shapes above (amounts already formatted as decimal strings).
 * The caller has already checked that the account belongs to `platformId`.
 */
export async function readAccountMoney(_deps: Deps, _query: AccountMoneyQuery): Promise<AccountMoney | null> {
  return null;
}
