// Balances and latest transactions for the dashboard's account page, read with the same ledger reads as the API
// (readWalletBalances, readTransactions); the page formats them with lib/money.ts like the API's serializers.
import type { AccountRow, TransactionRow } from '../../db/schema.ts';
import type { Environment } from '../../lib/environments.ts';
import type { Deps } from '../deps.ts';
import { readWalletBalances, type WalletBalance } from '../ledger/ledger.ts';
import { readTransactions } from '../ledger/wallets.ts';

export interface AccountMoney {
  balances: WalletBalance[];
  /** Newest first. */
  transactions: TransactionRow[];
}

/** `account` comes from getPlatformAccount, which has already checked that it belongs to the viewer's platform. */
export async function readAccountMoney(deps: Deps, environment: Environment, account: AccountRow, limit: number): Promise<AccountMoney> {
  const db = deps.db.env(environment);
  const balances = await readWalletBalances(db, account.id);
  const transactions = await readTransactions(db, account.id, { limit });
  return { balances, transactions: transactions.data };
}
