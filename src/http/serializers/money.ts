// Money resources as the API shows them: amounts as decimal strings in the currency's precision, snake_case, ISO times.
import Type from 'typebox';
import { MetadataSchema, nullable, stringEnum, AmountString } from '../schemas.ts';
import { transactionTypes, type DepositRow, type PayoutRow, type TransactionRow, type TransferRow } from '../../db/schema.ts';
import type { WalletBalance } from '../../domain/ledger/ledger.ts';
import { netAmountOf } from '../../domain/ledger/wallets.ts';
import type { VirtualAccountDetails } from '../../domain/ledger/virtual-accounts.ts';
import { currencies, payoutRails } from '../../lib/currencies.ts';
import { formatMinor as money } from '../../lib/money.ts';

const Amount = AmountString;
const CurrencyCode = stringEnum(currencies);

export const BalancesSchema = Type.Object({
  object: Type.Literal('balances'),
  account_id: Type.String(),
  data: Type.Array(Type.Object({ currency: CurrencyCode, available: Amount, pending: Amount })),
});

export function serializeBalances(accountId: string, balances: WalletBalance[]) {
  return {
    object: 'balances' as const,
    account_id: accountId,
    data: balances.map((b) => ({ currency: b.currency, available: money(b.available, b.currency), pending: money(b.pending, b.currency) })),
  };
}

export const TransactionSchema = Type.Object({
  transaction_id: Type.String(),
  object: Type.Literal('transaction'),
  account_id: Type.String(),
  type: stringEnum(transactionTypes),
  currency: CurrencyCode,
  amount: Type.String({ description: 'Signed: negative when money leaves the account.' }),
  fee: Amount,
  net_amount: Type.String(),
  reference: nullable(Type.String()),
  status: Type.String(),
  counterparty: nullable(Type.Record(Type.String(), Type.Unknown())),
  source_id: Type.String({ description: 'The movement: tr_…, po_…, dep_… or conv_….' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export function serializeTransaction(row: TransactionRow) {
  return {
    transaction_id: row.id,
    object: 'transaction' as const,
    account_id: row.account_id,
    type: row.type,
    currency: row.currency,
    amount: money(row.amount, row.currency),
    fee: money(row.fee, row.currency),
    net_amount: money(netAmountOf(row), row.currency),
    reference: row.reference,
    status: row.status,
    counterparty: row.counterparty,
    source_id: row.movement_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export const TransferSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('transfer'),
  source_account_id: Type.String(),
  destination_account_id: Type.String(),
  currency: CurrencyCode,
  amount: Amount,
  reference: nullable(Type.String()),
  status: Type.Literal('completed'),
  metadata: MetadataSchema,
  created_at: Type.String({ format: 'date-time' }),
});

export function serializeTransfer(row: TransferRow) {
  return {
    id: row.id,
    object: 'transfer' as const,
    source_account_id: row.source_account_id,
    destination_account_id: row.destination_account_id,
    currency: row.currency,
    amount: money(row.amount, row.currency),
    reference: row.reference,
    status: 'completed' as const,
    metadata: row.metadata ?? {},
    created_at: row.created_at.toISOString(),
  };
}

export const PayoutSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('payout'),
  account_id: Type.String(),
  currency: CurrencyCode,
  amount: Amount,
  destination_type: stringEnum(payoutRails),
  destination: Type.Record(Type.String(), Type.String()),
  reference: nullable(Type.String()),
  status: Type.String(),
  failure_reason: nullable(Type.String()),
  transaction_id: Type.String(),
  metadata: MetadataSchema,
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export function serializePayout(row: PayoutRow) {
  return {
    id: row.id,
    object: 'payout' as const,
    account_id: row.account_id,
    currency: row.currency,
    amount: money(row.amount, row.currency),
    destination_type: row.destination_type,
    destination: row.destination,
    reference: row.reference,
    status: row.status,
    failure_reason: row.failure_reason,
    transaction_id: row.transaction_id,
    metadata: row.metadata ?? {},
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export const DepositSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('deposit'),
  account_id: Type.String(),
  currency: CurrencyCode,
  amount: Amount,
  reference: nullable(Type.String()),
  sender_name: nullable(Type.String()),
  status: Type.String(),
  transaction_id: nullable(Type.String({ description: 'The payment_in of the account; null for funds held as unmatched (they never reached the wallet).' })),
  payment_id: nullable(Type.String({ description: 'The payment-link payment the deposit was matched to (by its reference).' })),
  unmatched_funds_id: nullable(Type.String({ description: 'Set when no active payment link could take the funds: held outside the wallet until PIK assigns or returns them.' })),
  created_at: Type.String({ format: 'date-time' }),
  settled_at: nullable(Type.String({ format: 'date-time' })),
});

export function serializeDeposit(row: DepositRow) {
  return {
    id: row.id,
    object: 'deposit' as const,
    account_id: row.account_id,
    currency: row.currency,
    amount: money(row.amount, row.currency),
    reference: row.reference,
    sender_name: row.sender_name,
    status: row.status,
    transaction_id: row.transaction_id,
    payment_id: row.payment_id,
    unmatched_funds_id: row.unmatched_funds_id,
    created_at: row.created_at.toISOString(),
    settled_at: row.settled_at ? row.settled_at.toISOString() : null,
  };
}

export const VirtualAccountSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('virtual_account'),
  account_id: Type.String(),
  currency: Type.Literal('AUD'),
  bsb: Type.String(),
  account_number: Type.String(),
  account_name: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
});

export function serializeVirtualAccount(details: VirtualAccountDetails) {
  return {
    id: details.id,
    object: 'virtual_account' as const,
    account_id: details.accountId,
    currency: details.currency,
    bsb: details.bsb,
    account_number: details.accountNumber,
    account_name: details.accountName,
    created_at: details.createdAt.toISOString(),
  };
}
