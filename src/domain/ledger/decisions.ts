// Pure ledger decisions: which balanced postings a movement makes, and whether a set of balances can take them.
import type { Bucket } from '../../db/schema.ts';
import type { Currency } from '../../lib/currencies.ts';

/** PIK's own ledger accounts. They may go negative: they mirror money outside the wallets (banks, rails, sandbox minting). */
export const clearing = {
  /** Money that arrived from outside (bank transfers in, crypto deposits) — the counter-side of every payment_in. */
  inbound: 'clearing:inbound',
  /** Payouts: `pending` holds what is on its way to the rail, `available` what the rail has paid out for good. */
  payout: 'clearing:payout',
  /** Sandbox only: where simulated money (the starting balance of a sandbox platform) comes from. */
  sandboxFunding: 'clearing:sandbox_funding',
  /**
   * Inbound funds no active payment link could take (late, for a paid or cancelled link, the wrong currency, or what an
   * expired payment had received): held here, outside every wallet, until the operator assigns or returns them.
   */
  unmatched: 'clearing:unmatched',
  /** Unmatched funds the operator sent back to the payer: gone for good. */
  returned: 'clearing:returned',
  /**
   * PIK's FX position, one per currency (the entry's currency): what conversions sold to PIK (+) and bought from it
   * (−). Like every clearing account it has entries only — no balance row, so no lock shared by all conversions.
   */
  fx: 'clearing:fx',
} as const;

/** PIK's own accounts — every one is named 'clearing:…' (the FX position included): entries only, never a balance row. */
export function isClearingAccount(ledgerAccount: string): boolean {
  return ledgerAccount.startsWith('clearing:');
}

/** One signed line: positive credits the ledger account's bucket, negative debits it. */
export interface Posting {
  ledgerAccount: string;
  currency: Currency;
  bucket: Bucket;
  amount: bigint;
}

export interface Balance {
  available: bigint;
  pending: bigint;
}

export const balanceKey = (ledgerAccount: string, currency: string): string => `${ledgerAccount}|${currency}`;

export type Rejection = { kind: 'insufficient_balance'; ledgerAccount: string; currency: Currency; available: bigint };

/** Every movement's postings sum to zero per currency; anything else is a bug, never a business outcome. */
export function assertBalanced(postings: readonly Posting[]): void {
  const sums = new Map<string, bigint>();
  for (const p of postings) {
    if (p.amount === 0n) throw new Error('ledger: zero posting');
    sums.set(p.currency, (sums.get(p.currency) ?? 0n) + p.amount);
  }
  for (const [currency, sum] of sums) if (sum !== 0n) throw new Error(`ledger: postings for ${currency} do not balance (${sum})`);
}

/**
 * Applies postings to a snapshot of balances (missing rows are zero). Wallets may not go below zero in either
 * bucket; clearing accounts may. Returns the new balances of the touched rows, or the first wallet that is short.
 */
export function applyPostings(
  balances: ReadonlyMap<string, Balance>,
  postings: readonly Posting[],
): { ok: true; next: Map<string, Balance> } | { ok: false; rejection: Rejection } {
  assertBalanced(postings);
  const next = new Map<string, Balance>();
  for (const p of postings) {
    const key = balanceKey(p.ledgerAccount, p.currency);
    const current = next.get(key) ?? balances.get(key) ?? { available: 0n, pending: 0n };
    next.set(key, {
      available: current.available + (p.bucket === 'available' ? p.amount : 0n),
      pending: current.pending + (p.bucket === 'pending' ? p.amount : 0n),
    });
  }
  for (const p of postings) {
    if (isClearingAccount(p.ledgerAccount)) continue;
    const after = next.get(balanceKey(p.ledgerAccount, p.currency));
    if (after && (after.available < 0n || after.pending < 0n)) {
      const before = balances.get(balanceKey(p.ledgerAccount, p.currency));
      return { ok: false, rejection: { kind: 'insufficient_balance', ledgerAccount: p.ledgerAccount, currency: p.currency, available: before?.available ?? 0n } };
    }
  }
  return { ok: true, next };
}

/**
 * The movements. Each says which balanced postings it makes; none reads a balance: whether the wallets can take them
 * is decided where the balances are locked, by post_movement in the database (the guard applyPostings describes).
 */

/** transfer_out on the source, transfer_in on the destination, both in available funds. */
export function decideTransfer(request: { sourceAccountId: string; destinationAccountId: string; currency: Currency; amount: bigint }): Posting[] {
  if (request.sourceAccountId === request.destinationAccountId) throw new Error('ledger: transfer to the same account');
  const { currency, amount } = request;
  return [
    { ledgerAccount: request.sourceAccountId, currency, bucket: 'available', amount: -amount },
    { ledgerAccount: request.destinationAccountId, currency, bucket: 'available', amount },
  ];
}

/** A payout is created: its amount leaves the wallet's available funds and is held in payout clearing until the rail answers. */
export function decideHold(request: { accountId: string; currency: Currency; amount: bigint }): Posting[] {
  const { currency, amount } = request;
  return [
    { ledgerAccount: request.accountId, currency, bucket: 'available', amount: -amount },
    { ledgerAccount: clearing.payout, currency, bucket: 'pending', amount },
  ];
}

/** A payout failed: the hold goes back to the wallet's available funds. */
export function decideRelease(request: { accountId: string; currency: Currency; amount: bigint }): Posting[] {
  const { currency, amount } = request;
  return [
    { ledgerAccount: clearing.payout, currency, bucket: 'pending', amount: -amount },
    { ledgerAccount: request.accountId, currency, bucket: 'available', amount },
  ];
}

/** A payout completed: the held amount has left PIK for good (payout clearing's available is the total paid out). */
export function decidePayoutCompletion(request: { currency: Currency; amount: bigint }): Posting[] {
  const { currency, amount } = request;
  return [
    { ledgerAccount: clearing.payout, currency, bucket: 'pending', amount: -amount },
    { ledgerAccount: clearing.payout, currency, bucket: 'available', amount },
  ];
}

/** Money arrives for an account: pending until it settles, or straight to available when it is already settled. */
export function decideInbound(request: { accountId: string; currency: Currency; amount: bigint; settled: boolean; from?: string }): Posting[] {
  const { currency, amount } = request;
  return [
    { ledgerAccount: request.from ?? clearing.inbound, currency, bucket: 'available', amount: -amount },
    { ledgerAccount: request.accountId, currency, bucket: request.settled ? 'available' : 'pending', amount },
  ];
}

/** A pending inbound payment settles: it moves from the wallet's pending to its available funds. */
export function decideSettle(request: { accountId: string; currency: Currency; amount: bigint }): Posting[] {
  const { currency, amount } = request;
  return [
    { ledgerAccount: request.accountId, currency, bucket: 'pending', amount: -amount },
    { ledgerAccount: request.accountId, currency, bucket: 'available', amount },
  ];
}

/**
 * A conversion: the wallet sells x of one currency to PIK's FX position and buys y of another from it, in available
 * funds. Each currency balances on its own (wallet −x / position +x; position −y / wallet +y), so the movement is one
 * balanced set of postings in two currencies.
 */
export function decideConversion(request: { accountId: string; sellCurrency: Currency; sellAmount: bigint; buyCurrency: Currency; buyAmount: bigint }): Posting[] {
  if (request.sellCurrency === request.buyCurrency) throw new Error('ledger: conversion within one currency');
  const { accountId, sellCurrency, sellAmount, buyCurrency, buyAmount } = request;
  return [
    { ledgerAccount: accountId, currency: sellCurrency, bucket: 'available', amount: -sellAmount },
    { ledgerAccount: clearing.fx, currency: sellCurrency, bucket: 'available', amount: sellAmount },
    { ledgerAccount: clearing.fx, currency: buyCurrency, bucket: 'available', amount: -buyAmount },
    { ledgerAccount: accountId, currency: buyCurrency, bucket: 'available', amount: buyAmount },
  ];
}

/** A payment-link payment ends without settling: what it had received leaves the wallet's pending for unmatched funds. */
export function decideUnmatchPending(request: { accountId: string; currency: Currency; amount: bigint }): Posting[] {
  const { currency, amount } = request;
  return [
    { ledgerAccount: request.accountId, currency, bucket: 'pending', amount: -amount },
    { ledgerAccount: clearing.unmatched, currency, bucket: 'available', amount },
  ];
}
