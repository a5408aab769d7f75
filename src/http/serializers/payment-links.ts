// Payment links, their payments and unmatched funds as the API shows them (amounts as decimal strings, ISO times).
import Type from 'typebox';
import { paymentLinkStatuses, paymentStatuses, unmatchedReasons, unmatchedStatuses, type PaymentRow, type UnmatchedFundsRow } from '../../db/schema.ts';
import type { CreatedPaymentLink, PaymentLinkView } from '../../domain/payment-links/links.ts';
import { paymentLinkCurrencies } from '../../domain/payment-links/links.ts';
import { currencies } from '../../lib/currencies.ts';
import { formatMinor as money } from '../../lib/money.ts';
import { nullable, stringEnum, AmountString } from '../schemas.ts';

const Amount = AmountString;
const Time = Type.String({ format: 'date-time' });
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const PaymentLinkSchema = Type.Object({
  id: Type.String({ description: 'pl_…' }),
  object: Type.Literal('payment_link'),
  account_id: Type.String(),
  amount_type: stringEnum(['fixed', 'open'] as const),
  currency: stringEnum(paymentLinkCurrencies),
  amount: nullable(Amount),
  reference: Type.String({ description: 'What the payer types; the matching key (unique per account among active links, compared without regard to case).' }),
  status: stringEnum(paymentLinkStatuses),
  single_use: Type.Boolean(),
  merchant_name: nullable(Type.String()),
  merchant_logo_url: nullable(Type.String()),
  redirect_url: nullable(Type.String()),
  webhook_url: nullable(Type.String()),
  metadata: nullable(Type.Record(Type.String(), Type.String())),
  payment_url: Type.String({ description: 'The hosted page a payer opens: /pay/{id}.' }),
  qr_code_url: Type.String({ description: 'The page\'s QR code as SVG (for USDT/USDC a Solana Pay transfer request; for AUD the payment_url).' }),
  open_payment_id: nullable(Type.String({ description: 'The payment collecting the next funds while the link is active.' })),
  expires_at: nullable(Time),
  created_at: Time,
  updated_at: Time,
  ended_at: nullable(Type.String({ format: 'date-time', description: 'When it was paid, expired or cancelled.' })),
});

export const CreatedPaymentLinkSchema = Type.Object({
  ...PaymentLinkSchema.properties,
  webhook_secret: nullable(Type.String({ description: 'Signs the deliveries to webhook_url (Standard Webhooks). Shown once, here; null without a webhook_url.' })),
});

export function serializePaymentLink(publicUrl: string, view: PaymentLinkView) {
  const { link } = view;
  return {
    id: link.id,
    object: 'payment_link' as const,
    account_id: link.account_id,
    amount_type: link.amount_type,
    currency: link.currency as (typeof paymentLinkCurrencies)[number],
    amount: link.amount === null ? null : money(link.amount, link.currency),
    reference: link.reference,
    status: link.status,
    single_use: link.single_use,
    merchant_name: link.merchant_name,
    merchant_logo_url: link.merchant_logo_url,
    redirect_url: link.redirect_url,
    webhook_url: link.webhook_url,
    metadata: link.metadata,
    payment_url: `${publicUrl}/pay/${link.id}`,
    qr_code_url: `${publicUrl}/pay/${link.id}/qr.svg`,
    open_payment_id: view.openPaymentId,
    expires_at: iso(link.expires_at),
    created_at: link.created_at.toISOString(),
    updated_at: link.updated_at.toISOString(),
    ended_at: iso(link.ended_at),
  };
}

export function serializeCreatedPaymentLink(publicUrl: string, created: CreatedPaymentLink) {
  return { ...serializePaymentLink(publicUrl, created), webhook_secret: created.webhookSecret };
}

export const PaymentSchema = Type.Object({
  id: Type.String({ description: 'pay_…' }),
  object: Type.Literal('payment'),
  payment_link_id: Type.String(),
  account_id: Type.String(),
  status: stringEnum(paymentStatuses),
  currency: stringEnum(currencies),
  reference: Type.String(),
  amount_expected: nullable(Type.String({ description: 'The link\'s amount; null for an open-amount link.' })),
  amount_received: Amount,
  partial: Type.Boolean({ description: 'Settled for less than expected (accept-partial).' }),
  created_at: Time,
  updated_at: Time,
  settled_at: nullable(Time),
  expired_at: nullable(Time),
});

export function serializePayment(row: PaymentRow) {
  return {
    id: row.id,
    object: 'payment' as const,
    payment_link_id: row.payment_link_id,
    account_id: row.account_id,
    status: row.status,
    currency: row.currency,
    reference: row.reference,
    amount_expected: row.amount_expected === null ? null : money(row.amount_expected, row.currency),
    amount_received: money(row.amount_received, row.currency),
    partial: row.partial,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    settled_at: iso(row.settled_at),
    expired_at: iso(row.expired_at),
  };
}

export const UnmatchedFundsSchema = Type.Object({
  id: Type.String({ description: 'uf_…' }),
  object: Type.Literal('unmatched_funds'),
  platform_id: Type.String(),
  account_id: Type.String(),
  currency: stringEnum(currencies),
  amount: Amount,
  reference: nullable(Type.String()),
  deposit_id: nullable(Type.String()),
  payment_id: nullable(Type.String()),
  payment_link_id: nullable(Type.String()),
  reason: stringEnum(unmatchedReasons),
  status: stringEnum(unmatchedStatuses),
  transaction_id: nullable(Type.String()),
  note: nullable(Type.String()),
  created_at: Time,
  resolved_at: nullable(Time),
});

export function serializeUnmatchedFunds(row: UnmatchedFundsRow) {
  return {
    id: row.id,
    object: 'unmatched_funds' as const,
    platform_id: row.platform_id,
    account_id: row.account_id,
    currency: row.currency,
    amount: money(row.amount, row.currency),
    reference: row.reference,
    deposit_id: row.deposit_id,
    payment_id: row.payment_id,
    payment_link_id: row.payment_link_id,
    reason: row.reason,
    status: row.status,
    transaction_id: row.transaction_id,
    note: row.note,
    created_at: row.created_at.toISOString(),
    resolved_at: iso(row.resolved_at),
  };
}
