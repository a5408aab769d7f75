// Money from outside reaching an account, written once for ordinary deposits (deposits.ts) and for those a payment
// link takes or holds (payment-links/settlement.ts): the credit with its payment_in, and the deposit row.
import type { Tx } from '../../db/database.ts';
import type { DepositRow } from '../../db/schema.ts';
import type { Currency } from '../../lib/currencies.ts';
import type { Environment } from '../../lib/environments.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { decideInbound } from './decisions.ts';
import { insertTransactions, postMovement } from './ledger.ts';

/** Who was paid what, and by whom: what every deposit carries. */
export interface MoneyIn {
  platformId: string;
  accountId: string;
  currency: Currency;
  amount: bigint;
  reference: string | null;
  senderName: string | null;
}

export interface DepositRowInput extends MoneyIn {
  id: string;
  source: DepositRow['source'];
  status: DepositRow['status'];
  settleAt: Date | null;
  transactionId: string | null;
  paymentId?: string | null;
  unmatchedFundsId?: string | null;
  createdAt: Date;
  settledAt: Date | null;
}

/** Inbound clearing → the wallet (available when settled, else pending), with the account's payment_in: queued writes. */
export function creditInbound(work: UnitOfWork, environment: Environment, movementId: string, d: MoneyIn, settled: boolean, now: Date): string {
  postMovement(work, environment, movementId, decideInbound({ accountId: d.accountId, currency: d.currency, amount: d.amount, settled }), now);
  const [transactionId] = insertTransactions(
    work,
    environment,
    [
      {
        platformId: d.platformId,
        accountId: d.accountId,
        movementId,
        type: 'payment_in',
        currency: d.currency,
        amount: d.amount,
        status: settled ? 'settled' : 'pending',
        reference: d.reference,
        counterparty: { type: 'external', name: d.senderName },
      },
    ],
    now,
  );
  return transactionId as string;
}

export async function insertDepositRow(tx: Tx, environment: Environment, d: DepositRowInput): Promise<DepositRow> {
  return tx
    .env(environment)
    .insertInto('deposits')
    .values({
      id: d.id,
      platform_id: d.platformId,
      account_id: d.accountId,
      currency: d.currency,
      amount: d.amount,
      reference: d.reference,
      sender_name: d.senderName,
      source: d.source,
      status: d.status,
      settle_at: d.settleAt,
      transaction_id: d.transactionId,
      payment_id: d.paymentId ?? null,
      unmatched_funds_id: d.unmatchedFundsId ?? null,
      created_at: d.createdAt,
      settled_at: d.settledAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}
