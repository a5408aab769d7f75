// Payments against payment links: read and list, accept an underpaid one, and the sandbox's simulator and payer.
import type { DepositRow, PaymentRow, PaymentStatus } from '../../db/schema.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import type { Scope } from '../../lib/actor.ts';
import { decimalsOf, type Currency } from '../../lib/currencies.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { parseAmount, parseCurrency } from '../../lib/money.ts';
import { requireCapability } from '../accounts/capability-gate.ts';
import type { Deps } from '../deps.ts';
import { recordSandboxLinkDeposit } from '../ledger/deposits.ts';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.ts';
import { isOpenPayment } from './decisions.ts';
import { isOwnedBy, type LinkOwner } from './links.ts';
import { endLink, isPastExpiry, lockLink, settlePayment } from './settlement.ts';
import type { Tx } from '../../db/database.ts';
import { codePointLength } from '../../lib/text.ts';

export interface PaymentFilter {
  paymentLinkId?: string | undefined;
  status?: PaymentStatus | undefined;
}

/** Payments of the account in scope, newest first. */
export async function listPayments(deps: Deps, scope: LinkOwner, page: PageRequest, filter: PaymentFilter = {}): Promise<Page<PaymentRow>> {
  const before = decodeCursor(page.cursor, 'payment');
  let query = deps.db.env(scope.environment).selectFrom('payments').selectAll().where('platform_id', '=', scope.platformId);
  if (scope.accountId !== undefined) query = query.where('account_id', '=', scope.accountId);
  if (filter.paymentLinkId !== undefined) query = query.where('payment_link_id', '=', filter.paymentLinkId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (before) query = query.where('id', '<', before);
  return toPage(await query.orderBy('id', 'desc').limit(page.limit + 1).execute(), page.limit);
}

export async function getPayment(deps: Deps, scope: LinkOwner, paymentId: string): Promise<PaymentRow> {
  const row = await deps.db.env(scope.environment).selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirst();
  if (!row || !isOwnedBy(row, scope)) throw new ApiError('PAYMENT_NOT_FOUND', undefined, { payment_id: paymentId });
  return row;
}

/**
 * Locks the payment's link, then the payment, for a change: the link's lock orders it with the link's deposits and
 * expiry. A link past its expiry that the expirer has not reached yet is expired here first, as a deposit would.
 */
async function lockPaymentForChange(deps: Deps, tx: Tx, work: UnitOfWork, scope: Scope, paymentId: string): Promise<PaymentRow> {
  const db = tx.env(scope.environment);
  const found = await db.selectFrom('payments').select('payment_link_id').where('id', '=', paymentId).where('platform_id', '=', scope.platformId).where('account_id', '=', scope.accountId).executeTakeFirst();
  if (!found) throw new ApiError('PAYMENT_NOT_FOUND', undefined, { payment_id: paymentId });
  const link = await lockLink(tx, scope.environment, found.payment_link_id);
  if (link && isPastExpiry(link, deps.now())) await endLink(work, scope.environment, link, 'expired', deps.now());
  return db.selectFrom('payments').selectAll().where('id', '=', paymentId).forUpdate().executeTakeFirstOrThrow();
}

function alreadySettled(payment: PaymentRow): ApiError {
  return new ApiError('PAYMENT_ALREADY_SETTLED', undefined, { payment_id: payment.id, status: payment.status });
}

/** Settles an underpaid payment for what it received (partial: true); anything but underpaid → 409. */
export async function acceptPartialPayment(deps: Deps, work: UnitOfWork, scope: Scope, paymentId: string): Promise<PaymentRow> {
  const tx = await work.transaction();
  const payment = await lockPaymentForChange(deps, tx, work, scope, paymentId);
  // Accepting again what was accepted answers the payment as it is (a retry without its Idempotency-Key).
  if (payment.status === 'settled' && payment.partial) return payment;
  if (payment.status !== 'underpaid') throw alreadySettled(payment);
  const link = await tx.env(scope.environment).selectFrom('payment_links').selectAll().where('id', '=', payment.payment_link_id).executeTakeFirstOrThrow();
  return settlePayment(work, scope.environment, link, payment, { status: 'settled', partial: true, amountReceived: payment.amount_received }, deps.now());
}

export interface SimulateInput {
  status: 'settled' | 'underpaid' | 'overpaid' | 'expired';
  amountReceived?: unknown;
}

/**
 * The total a simulated outcome leaves the payment with: the link's amount (settled), below it (underpaid: half by
 * default), above it (overpaid: one unit more by default), or what amount_received says.
 */
function simulatedTotal(payment: PaymentRow, input: SimulateInput): bigint {
  const currency = payment.currency as Currency;
  const given = input.amountReceived === undefined ? undefined : parseAmount(input.amountReceived, currency, 'amount_received');
  const expected = payment.amount_expected;
  if (expected === null) {
    if (input.status !== 'settled') throw invalidField('status', 'A payment of an open-amount link settles whatever arrives: it cannot be underpaid or overpaid.');
    if (given === undefined) throw invalidField('amount_received', 'amount_received is required to settle a payment of an open-amount link.');
    return payment.amount_received + given;
  }
  const total = given ?? (input.status === 'settled' ? expected : input.status === 'underpaid' ? (expected + 1n) / 2n : expected + 10n ** BigInt(decimalsOf(currency)));
  const fits = input.status === 'settled' ? total === expected : input.status === 'underpaid' ? total < expected : total > expected;
  if (!fits || total <= payment.amount_received) {
    throw invalidField('amount_received', `amount_received is the payment's total after the simulated funds: ${input.status === 'settled' ? 'the link\'s amount' : input.status === 'underpaid' ? 'less than the link\'s amount' : 'more than the link\'s amount'}, and more than the ${payment.amount_received > 0n ? 'amount already received' : 'nothing received so far'}.`);
  }
  return total;
}

/** The payment already is what the simulation asks (a retry): it is answered as it is, and nothing moves. */
function isSameOutcome(payment: PaymentRow, input: SimulateInput): boolean {
  if (payment.status !== input.status || payment.partial) return false;
  if (input.amountReceived === undefined || input.status === 'expired') return true;
  const given = parseAmount(input.amountReceived, payment.currency as Currency, 'amount_received');
  return payment.amount_expected === null ? true : given === payment.amount_received;
}

/**
 * Sandbox: the outcome of an open payment. Funds outcomes send a deposit with the link's reference, matched like any
 * payer's; `expired` runs the link's expiry now.
 */
export async function simulatePayment(deps: Deps, work: UnitOfWork, scope: Scope, paymentId: string, input: SimulateInput): Promise<PaymentRow> {
  if (scope.environment !== 'sandbox') throw new ApiError('SANDBOX_ONLY');
  const tx = await work.transaction();
  await requireCapability(tx.env(scope.environment), scope, 'inbound_payments', { lockRow: true });
  const payment = await lockPaymentForChange(deps, tx, work, scope, paymentId);
  if (isSameOutcome(payment, input)) return payment;
  if (!isOpenPayment(payment.status)) throw alreadySettled(payment);
  const link = await lockLink(tx, scope.environment, payment.payment_link_id);
  if (!link) throw new ApiError('PAYMENT_NOT_FOUND', undefined, { payment_id: paymentId });
  if (input.status === 'expired') {
    await endLink(work, scope.environment, link, 'expired', deps.now());
  } else {
    const total = simulatedTotal(payment, input);
    await recordSandboxLinkDeposit(
      work,
      scope.environment,
      { platformId: payment.platform_id, accountId: payment.account_id, currency: payment.currency, amount: total - payment.amount_received, reference: link.reference, senderName: 'Sandbox payer' },
      deps.now(),
    );
  }
  return tx.env(scope.environment).selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirstOrThrow();
}

export interface SandboxPayInput {
  amount?: unknown;
  currency?: unknown;
  senderName?: unknown;
}

/**
 * Sandbox: pays a link as a payer would, by sending funds with its reference to the account's receiving details —
 * whatever the link's state: a paid, expired or cancelled link's funds are held as unmatched, as a real payer's are.
 */
export async function payLinkInSandbox(deps: Deps, work: UnitOfWork, scope: Scope, linkId: string, input: SandboxPayInput): Promise<DepositRow> {
  if (scope.environment !== 'sandbox') throw new ApiError('SANDBOX_ONLY');
  const tx = await work.transaction();
  await requireCapability(tx.env(scope.environment), scope, 'inbound_payments', { lockRow: true });
  const link = await tx.env(scope.environment).selectFrom('payment_links').selectAll().where('id', '=', linkId).where('platform_id', '=', scope.platformId).where('account_id', '=', scope.accountId).executeTakeFirst();
  if (!link) throw new ApiError('PAYMENT_LINK_NOT_FOUND', undefined, { payment_link_id: linkId });
  const currency = input.currency === undefined ? link.currency : parseCurrency(input.currency);
  let amount: bigint;
  if (input.amount !== undefined) amount = parseAmount(input.amount, currency);
  else if (link.amount !== null && currency === link.currency) amount = link.amount;
  else throw invalidField('amount', 'amount is required for an open-amount link or another currency than the link\'s.');
  if (input.senderName !== undefined && (typeof input.senderName !== 'string' || input.senderName.trim() === '' || codePointLength(input.senderName) > 140)) {
    throw invalidField('sender_name', 'sender_name must be 1 to 140 characters.');
  }
  const senderName = input.senderName === undefined ? 'Sandbox payer' : (input.senderName as string).trim();
  return recordSandboxLinkDeposit(work, scope.environment, { platformId: link.platform_id, accountId: link.account_id, currency, amount, reference: link.reference, senderName }, deps.now());
}
