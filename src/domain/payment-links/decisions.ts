// Pure rules of payment links: the matching key of a reference, and what a payment becomes once funds arrive.
import type { PaymentStatus } from '../../db/schema.ts';

/** The matching key: a payer's reference and a link's are compared trimmed and in upper case ("inv-42 " = "INV-42"). */
export function referenceKey(reference: string): string {
  return reference.trim().toUpperCase();
}

export type FundedStatus = Extract<PaymentStatus, 'underpaid' | 'settled' | 'overpaid'>;

/**
 * What a payment is once `received` (its total so far, in minor units) has arrived: an open-amount link (`expected`
 * null) takes any amount; a fixed one is underpaid below its amount, settled at it exactly and overpaid above it.
 */
export function decidePaymentStatus(expected: bigint | null, received: bigint): FundedStatus {
  if (received <= 0n) throw new Error('payment: nothing received');
  if (expected === null || received === expected) return 'settled';
  return received < expected ? 'underpaid' : 'overpaid';
}

/** Payments still collecting funds; every other status is final. */
export const openPaymentStatuses = ['awaiting_funds', 'underpaid'] as const satisfies readonly PaymentStatus[];

export function isOpenPayment(status: PaymentStatus): boolean {
  return (openPaymentStatuses as readonly PaymentStatus[]).includes(status);
}
