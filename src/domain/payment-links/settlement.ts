// Payment-link money inside one unit of work: a deposit matched to its link, a payment settling or ending, and the
// funds no active link could take. Every caller holds the link's row lock (taken first, before any balance row), so
// the changes of one link — deposits, expiry, cancellation, accept-partial — happen one at a time, in one lock order.
import type { Tx } from '../../db/database.ts';
import type { DepositRow, PaymentLinkRow, PaymentRow, UnmatchedReason } from '../../db/schema.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import type { Environment } from '../../lib/environments.ts';
import { newId } from '../../lib/ids.ts';
import { formatMinor } from '../../lib/money.ts';
import { recordEvent } from '../events.ts';
import { clearing, decideInbound, decideSettle, decideUnmatchPending } from '../ledger/decisions.ts';
import { creditInbound, insertDepositRow, type MoneyIn } from '../ledger/deposit-rows.ts';
import { postMovement } from '../ledger/ledger.ts';
import { decidePaymentStatus, openPaymentStatuses, referenceKey } from './decisions.ts';

/** A deposit on its way in, before its row exists (deposits.ts decides the id, amount and source). */
export interface IncomingDeposit extends MoneyIn {
  id: string;
  reference: string;
  source: DepositRow['source'];
}

/**
 * The account's link a deposit with this reference goes to, locked: the active one, or else the latest that ever had
 * the reference (its funds are then unmatched). Undefined when no link ever had it: an ordinary deposit. Of two
 * deposits for one link at once, the second waits here for the first to commit and then sees what it left (a
 * single-use link already paid is no longer active, so the first query skips it and the second finds it paid).
 */
export async function lockLinkForReference(tx: Tx, environment: Environment, accountId: string, reference: string): Promise<PaymentLinkRow | undefined> {
  const db = tx.env(environment);
  const key = referenceKey(reference);
  const active = await db.selectFrom('payment_links').selectAll().where('account_id', '=', accountId).where('reference_key', '=', key).where('status', '=', 'active').forUpdate().executeTakeFirst();
  if (active) return active;
  return db.selectFrom('payment_links').selectAll().where('account_id', '=', accountId).where('reference_key', '=', key).orderBy('id', 'desc').limit(1).forUpdate().executeTakeFirst();
}

/** Locks a link by id (every change of a link and its payments starts here). */
export async function lockLink(tx: Tx, environment: Environment, linkId: string): Promise<PaymentLinkRow | undefined> {
  return tx.env(environment).selectFrom('payment_links').selectAll().where('id', '=', linkId).forUpdate().executeTakeFirst();
}

async function lockOpenPayment(tx: Tx, environment: Environment, linkId: string): Promise<PaymentRow | undefined> {
  return tx.env(environment).selectFrom('payments').selectAll().where('payment_link_id', '=', linkId).where('status', 'in', openPaymentStatuses).forUpdate().executeTakeFirst();
}

/** The payment that collects the next funds of an active link (one at a time: payments_one_open). */
export async function openPayment(tx: Tx, environment: Environment, link: PaymentLinkRow, now: Date): Promise<PaymentRow> {
  return tx
    .env(environment)
    .insertInto('payments')
    .values({
      id: newId('payment'),
      platform_id: link.platform_id,
      account_id: link.account_id,
      payment_link_id: link.id,
      currency: link.currency,
      reference: link.reference,
      amount_expected: link.amount,
      amount_received: 0n,
      status: 'awaiting_funds',
      partial: false,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

type PaymentEventType = 'payment.underpaid' | 'payment.overpaid' | 'payment.expired';

function paymentFields(payment: PaymentRow) {
  const currency = payment.currency;
  return {
    payment_id: payment.id,
    payment_link_id: payment.payment_link_id,
    status: payment.status,
    amount_expected: payment.amount_expected === null ? null : formatMinor(payment.amount_expected, currency),
    amount_received: formatMinor(payment.amount_received, currency),
    partial: payment.partial,
  };
}

/** To the platform's subscribed endpoints and, addressed, to the link's own webhook_url endpoint. */
async function recordPaymentEvent(work: UnitOfWork, environment: Environment, link: PaymentLinkRow, payment: PaymentRow, type: PaymentEventType, unmatchedFundsId: string | null = null): Promise<void> {
  await recordEvent(
    work,
    environment,
    {
      platformId: payment.platform_id,
      accountId: payment.account_id,
      type,
      data: { ...paymentFields(payment), account_id: payment.account_id, currency: payment.currency, reference: payment.reference, unmatched_funds_id: unmatchedFundsId },
    },
    link.webhook_endpoint_id,
  );
}

async function recordSettledPayment(work: UnitOfWork, environment: Environment, link: PaymentLinkRow, payment: PaymentRow, last: DepositRow): Promise<void> {
  await recordEvent(
    work,
    environment,
    {
      platformId: payment.platform_id,
      accountId: payment.account_id,
      type: 'payment.settled',
      data: {
        deposit_id: last.id,
        transaction_id: last.transaction_id as string,
        account_id: payment.account_id,
        currency: payment.currency,
        amount: formatMinor(payment.amount_received, payment.currency),
        reference: payment.reference,
        ...paymentFields(payment),
      },
    },
    link.webhook_endpoint_id,
  );
}

async function pendingDepositsOf(tx: Tx, environment: Environment, paymentId: string): Promise<DepositRow[]> {
  return tx.env(environment).selectFrom('deposits').selectAll().where('payment_id', '=', paymentId).where('status', '=', 'pending').orderBy('id').execute();
}

/**
 * Settles an open payment (in full, overpaid, or accepted partial): each of its deposits moves from the wallet's
 * pending to available and its payment_in settles. A single-use link is then paid; another link opens its next payment.
 */
export async function settlePayment(
  work: UnitOfWork,
  environment: Environment,
  link: PaymentLinkRow,
  payment: PaymentRow,
  outcome: { status: 'settled' | 'overpaid'; partial: boolean; amountReceived: bigint },
  now: Date,
): Promise<PaymentRow> {
  const tx = await work.transaction();
  const db = tx.env(environment);
  // Guarded: only an open payment settles, so a payment is never settled (nor its deposits credited) twice.
  const settled = await db
    .updateTable('payments')
    .set({ status: outcome.status, partial: outcome.partial, amount_received: outcome.amountReceived, settled_at: now, updated_at: now })
    .where('id', '=', payment.id)
    .where('status', 'in', openPaymentStatuses)
    .returningAll()
    .executeTakeFirst();
  if (!settled) throw new Error(`payment ${payment.id} was not open`);
  const deposits = await pendingDepositsOf(tx, environment, payment.id);
  for (const deposit of deposits) {
    const currency = deposit.currency;
    postMovement(work, environment, deposit.id, decideSettle({ accountId: deposit.account_id, currency, amount: deposit.amount }), now);
    await db.updateTable('deposits').set({ status: 'settled', settled_at: now }).where('id', '=', deposit.id).execute();
    await db.updateTable('transactions').set({ status: 'settled', updated_at: now }).where('id', '=', deposit.transaction_id as string).execute();
  }
  const last = deposits.at(-1);
  if (!last) throw new Error(`payment ${payment.id} settled without funds`);
  if (outcome.status === 'settled') await recordSettledPayment(work, environment, link, settled, last);
  else await recordPaymentEvent(work, environment, link, settled, 'payment.overpaid');
  if (link.single_use) {
    await db.updateTable('payment_links').set({ status: 'paid', ended_at: now, updated_at: now }).where('id', '=', link.id).where('status', '=', 'active').execute();
  } else {
    await openPayment(tx, environment, link, now);
  }
  return settled;
}

/**
 * Ends an open payment without settling (its link expired or was cancelled). What it had received leaves the wallet's
 * pending for unmatched funds the operator assigns or returns; its payment_in transactions end `failed`.
 */
async function endPayment(work: UnitOfWork, environment: Environment, link: PaymentLinkRow, payment: PaymentRow, reason: 'payment_expired' | 'link_cancelled', now: Date): Promise<void> {
  const tx = await work.transaction();
  const db = tx.env(environment);
  const ended = await db
    .updateTable('payments')
    .set({ status: 'expired', expired_at: now, updated_at: now })
    .where('id', '=', payment.id)
    .where('status', 'in', openPaymentStatuses)
    .returningAll()
    .executeTakeFirst();
  if (!ended) return;
  let unmatchedFundsId: string | null = null;
  const deposits = await pendingDepositsOf(tx, environment, payment.id);
  if (deposits.length > 0) {
    unmatchedFundsId = newId('unmatchedFunds');
    for (const deposit of deposits) {
      const currency = deposit.currency;
      postMovement(work, environment, deposit.id, decideUnmatchPending({ accountId: deposit.account_id, currency, amount: deposit.amount }), now);
      await db.updateTable('deposits').set({ status: 'settled', settled_at: now, unmatched_funds_id: unmatchedFundsId }).where('id', '=', deposit.id).execute();
      await db.updateTable('transactions').set({ status: 'failed', updated_at: now }).where('id', '=', deposit.transaction_id as string).execute();
    }
    const last = deposits.at(-1) as DepositRow;
    await insertUnmatchedFunds(tx, environment, {
      id: unmatchedFundsId,
      platformId: payment.platform_id,
      accountId: payment.account_id,
      currency: payment.currency,
      amount: deposits.reduce((sum, d) => sum + d.amount, 0n),
      reference: payment.reference,
      depositId: last.id,
      paymentId: payment.id,
      paymentLinkId: link.id,
      reason,
      now,
    });
  }
  await recordPaymentEvent(work, environment, link, ended, 'payment.expired', unmatchedFundsId);
}

/**
 * Ends an active link (locked by the caller): expired when its time has come, cancelled on request. Guarded on
 * `status = 'active'`, so of an expirer and a deposit (or two expirers) racing for one link only one ends it; the
 * others see it ended. Returns the link as it now is.
 */
export async function endLink(work: UnitOfWork, environment: Environment, link: PaymentLinkRow, to: 'expired' | 'cancelled', now: Date): Promise<PaymentLinkRow> {
  const tx = await work.transaction();
  const db = tx.env(environment);
  const ended = await db.updateTable('payment_links').set({ status: to, ended_at: now, updated_at: now }).where('id', '=', link.id).where('status', '=', 'active').returningAll().executeTakeFirst();
  if (!ended) return (await db.selectFrom('payment_links').selectAll().where('id', '=', link.id).executeTakeFirstOrThrow());
  const open = await lockOpenPayment(tx, environment, link.id);
  if (open) await endPayment(work, environment, ended, open, to === 'expired' ? 'payment_expired' : 'link_cancelled', now);
  if (to === 'cancelled') {
    await recordEvent(
      work,
      environment,
      {
        platformId: ended.platform_id,
        accountId: ended.account_id,
        type: 'payment_link.cancelled',
        data: {
          id: ended.id,
          account_id: ended.account_id,
          amount_type: ended.amount_type,
          currency: ended.currency,
          amount: ended.amount === null ? null : formatMinor(ended.amount, ended.currency),
          reference: ended.reference,
          status: ended.status,
          single_use: ended.single_use,
        },
      },
      ended.webhook_endpoint_id,
    );
  }
  return ended;
}

export function isPastExpiry(link: PaymentLinkRow, now: Date): boolean {
  return link.status === 'active' && link.expires_at !== null && link.expires_at <= now;
}

interface NewUnmatchedFunds extends Omit<MoneyIn, 'senderName'> {
  id: string;
  depositId: string | null;
  paymentId: string | null;
  paymentLinkId: string | null;
  reason: UnmatchedReason;
  now: Date;
}

async function insertUnmatchedFunds(tx: Tx, environment: Environment, u: NewUnmatchedFunds): Promise<void> {
  await tx
    .env(environment)
    .insertInto('unmatched_funds')
    .values({
      id: u.id,
      platform_id: u.platformId,
      account_id: u.accountId,
      currency: u.currency,
      amount: u.amount,
      reference: u.reference,
      deposit_id: u.depositId,
      payment_id: u.paymentId,
      payment_link_id: u.paymentLinkId,
      reason: u.reason,
      status: 'held',
      transaction_id: null,
      note: null,
      created_at: u.now,
      resolved_at: null,
    })
    .execute();
}

/** Funds for a link that cannot take them: held outside the wallet (inbound → unmatched clearing), never credited. */
async function holdUnmatchedDeposit(work: UnitOfWork, environment: Environment, d: IncomingDeposit, link: PaymentLinkRow, reason: UnmatchedReason, now: Date): Promise<DepositRow> {
  const tx = await work.transaction();
  const unmatchedFundsId = newId('unmatchedFunds');
  postMovement(work, environment, d.id, decideInbound({ accountId: clearing.unmatched, currency: d.currency, amount: d.amount, settled: true }), now);
  await insertUnmatchedFunds(tx, environment, {
    id: unmatchedFundsId,
    platformId: d.platformId,
    accountId: d.accountId,
    currency: d.currency,
    amount: d.amount,
    reference: d.reference,
    depositId: d.id,
    paymentId: null,
    paymentLinkId: link.id,
    reason,
    now,
  });
  return insertDepositRow(tx, environment, { ...d, status: 'settled', settleAt: null, transactionId: null, unmatchedFundsId, createdAt: now, settledAt: now });
}

/**
 * A deposit whose reference is a link's (the link locked by lockLinkForReference), in the unit of work of the credit.
 * To an active link in its currency it goes to the link's open payment: into the wallet's pending, then the payment
 * is underpaid, settled or overpaid by the total received. Anything else is held as unmatched funds.
 */
export async function receiveLinkDeposit(work: UnitOfWork, environment: Environment, found: PaymentLinkRow, d: IncomingDeposit, now: Date): Promise<DepositRow> {
  const link = isPastExpiry(found, now) ? await endLink(work, environment, found, 'expired', now) : found;
  if (link.status !== 'active') return holdUnmatchedDeposit(work, environment, d, link, `link_${link.status}`, now);
  if (link.currency !== d.currency) return holdUnmatchedDeposit(work, environment, d, link, 'currency_mismatch', now);
  const tx = await work.transaction();
  const payment = (await lockOpenPayment(tx, environment, link.id)) ?? (await openPayment(tx, environment, link, now));
  const transactionId = creditInbound(work, environment, d.id, d, false, now);
  // settle_at null: the payment settles it, not the sandbox settler's timer.
  const deposit = await insertDepositRow(tx, environment, { ...d, status: 'pending', settleAt: null, transactionId, paymentId: payment.id, createdAt: now, settledAt: null });
  const received = payment.amount_received + d.amount;
  const status = decidePaymentStatus(payment.amount_expected, received);
  if (status === 'underpaid') {
    const updated = await tx
      .env(environment)
      .updateTable('payments')
      .set({ status, amount_received: received, updated_at: now })
      .where('id', '=', payment.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordPaymentEvent(work, environment, link, updated, 'payment.underpaid');
    return deposit;
  }
  await settlePayment(work, environment, link, payment, { status, partial: false, amountReceived: received }, now);
  // Settled with its payment in this same transaction: answer it as it now is.
  return tx.env(environment).selectFrom('deposits').selectAll().where('id', '=', deposit.id).executeTakeFirstOrThrow();
}
