// The event-type catalogue: the one place to add an event type — its name, what it means, and the shape of its data
// as a TypeBox schema (the outbox is typed by it now; webhooks will publish the same schemas). Event data carries
// decimal strings for amounts, ISO times, and never identity data: it leaves PIK.
import Type from 'typebox';
import { paymentLinkStatuses, paymentStatuses, payoutStatuses, verificationDeciders, verificationKinds, verificationStatuses } from '../db/schema.ts';
import { capabilities } from '../lib/capabilities.ts';
import { currencies } from '../lib/currencies.ts';
import { environments } from '../lib/environments.ts';

const nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Id = Type.String();
const Amount = Type.String({ description: 'Decimal string in the currency precision, e.g. "500.00".' });
const DateTime = Type.String({ format: 'date-time' });
const CapabilityState = Type.Enum(['active', 'inactive']);

const ApiKeyData = { id: Id, name: Type.String(), hint: Type.String(), environment: Type.Enum(environments) };
const PayoutData = Type.Object({
  id: Id,
  account_id: Id,
  currency: Type.Enum(currencies),
  amount: Amount,
  reference: nullable(Type.String()),
  status: Type.Enum(payoutStatuses),
  failure_reason: nullable(Type.String()),
});

/** A payment against a payment link (docs/payment-links.md), as its payment.* events carry it. */
const PaymentFields = {
  payment_id: Id,
  payment_link_id: Id,
  status: Type.Enum(paymentStatuses),
  amount_expected: nullable(Amount),
  amount_received: Amount,
  partial: Type.Boolean(),
};
const PaymentData = Type.Object({
  ...PaymentFields,
  account_id: Id,
  currency: Type.Enum(currencies),
  reference: Type.String(),
  unmatched_funds_id: nullable(Id),
});

const WebhookEndpointData = {
  id: Id,
  url: Type.String(),
  description: nullable(Type.String()),
  events: Type.Array(Type.String()),
  status: Type.Enum(['enabled', 'disabled']),
};

export const eventCatalogue = {
  'account.created': {
    description: 'A connected account was created (its identity is submitted separately, with KYC or KYB).',
    data: Type.Object({
      account_id: Id,
      customer_type: Type.Enum(['individual', 'business']),
      country: Type.String({ minLength: 2, maxLength: 2 }),
      reference_id: nullable(Type.String()),
      verification_status: Type.Enum(verificationStatuses),
    }),
  },
  'account.updated': {
    description: 'A connected account was changed with PATCH /accounts/{id}: changed_fields names what changed (the email itself is never in an event).',
    data: Type.Object({
      account_id: Id,
      changed_fields: Type.Array(Type.Enum(['display_name', 'email', 'reference_id', 'metadata'])),
      display_name: nullable(Type.String()),
      reference_id: nullable(Type.String()),
      metadata: Type.Record(Type.String(), Type.String()),
    }),
  },
  'account.verification_updated': {
    description: "An account's verification status changed: identity submitted, or a decision (sandbox helper or operator).",
    data: Type.Object({
      account_id: Id,
      verification_status: Type.Enum(verificationStatuses),
      previous_status: Type.Enum(verificationStatuses),
      kind: Type.Enum(verificationKinds),
      reason: nullable(Type.String()),
      submitted_at: DateTime,
      decided_at: nullable(DateTime),
      decided_by: nullable(Type.Enum(verificationDeciders)),
    }),
  },
  'account.capability_updated': {
    description: 'A capability of an account was switched on or off.',
    data: Type.Object({
      account_id: Id,
      capability: Type.Enum(capabilities),
      status: CapabilityState,
      previous_status: CapabilityState,
      cause: Type.Enum(['activated', 'deactivated', 'verification_withdrawn', 'operator']),
    }),
  },
  'api_key.created': {
    description: 'An API key of the platform was generated (the secret is never in an event).',
    data: Type.Object(ApiKeyData),
  },
  'api_key.deleted': {
    description: 'An API key of the platform was deleted; it stops working everywhere within a second.',
    data: Type.Object({ ...ApiKeyData, deleted_by: Type.String({ description: 'operator, the id of the dashboard user, or secret_scanning (a leak report, with PIK_LEAKED_KEY_ACTION=revoke).' }) }),
  },
  'api_key.expiring': {
    description: 'An API key of the platform expires soon: sent 7 days and again 1 day before its expires_at.',
    data: Type.Object({
      ...ApiKeyData,
      expires_at: DateTime,
      notice: Type.Enum(['7d', '1d'], { description: 'Which notice this is: within 7 days, or within 1 day.' }),
      successor_id: nullable(Id),
    }),
  },
  'api_key.expired': {
    description: 'An API key of the platform reached its expires_at; every request with it now fails with 401 API_KEY_EXPIRED.',
    data: Type.Object({ ...ApiKeyData, expired_at: DateTime, successor_id: nullable(Id) }),
  },
  'api_key.exposed': {
    description: 'An API key of the platform was found exposed (sent in a URL, or reported by a secret-scanning partner); rotate it.',
    data: Type.Object({
      ...ApiKeyData,
      source: Type.Enum(['url', 'secret_scanning']),
      url: nullable(Type.String({ description: 'Where the scanner found it (a public URL), when reported.' })),
      revoked: Type.Boolean({ description: 'PIK deleted the key at once (PIK_LEAKED_KEY_ACTION=revoke).' }),
    }),
  },
  'transfer.completed': {
    description: 'Money moved between two accounts of the platform (recorded on the source account).',
    data: Type.Object({
      id: Id,
      source_account_id: Id,
      destination_account_id: Id,
      currency: Type.Enum(currencies),
      amount: Amount,
      reference: nullable(Type.String()),
    }),
  },
  'conversion.completed': {
    description: 'An FX conversion completed: the account sold one currency and bought another, at the rate shown (one movement, two transactions).',
    data: Type.Object({
      id: Id,
      account_id: Id,
      sell_currency: Type.Enum(currencies),
      buy_currency: Type.Enum(currencies),
      sell_amount: Amount,
      buy_amount: Amount,
      rate: Type.String({ description: 'Buy units per sell unit, a decimal string.' }),
      conversion_type: Type.Enum(['rate', 'quote']),
      quote_id: nullable(Id),
      reference: nullable(Type.String()),
    }),
  },
  'payment.settled': {
    description:
      'An inbound payment settled: the money is available in the wallet. For a payment-link payment the payment fields are set, amount is what was credited (all received) and deposit_id the deposit that completed it.',
    data: Type.Object({
      deposit_id: Id,
      transaction_id: Id,
      account_id: Id,
      currency: Type.Enum(currencies),
      amount: Amount,
      reference: nullable(Type.String()),
      payment_id: Type.Optional(PaymentFields.payment_id),
      payment_link_id: Type.Optional(PaymentFields.payment_link_id),
      status: Type.Optional(PaymentFields.status),
      amount_expected: Type.Optional(PaymentFields.amount_expected),
      amount_received: Type.Optional(PaymentFields.amount_received),
      partial: Type.Optional(PaymentFields.partial),
    }),
  },
  'payment.underpaid': {
    description: 'A payment-link payment received less than the link asks; the funds wait in the wallet\'s pending until it is paid in full, accepted (accept-partial) or expires.',
    data: PaymentData,
  },
  'payment.overpaid': {
    description: 'A payment-link payment received more than the link asks; everything received is available in the wallet (refund the excess by payout).',
    data: PaymentData,
  },
  'payment.expired': {
    description:
      'A payment-link payment ended without settling (its link expired or was cancelled); funds it had received are held as unmatched funds (unmatched_funds_id), outside the wallet, until PIK assigns them to the account or returns them to the payer.',
    data: PaymentData,
  },
  'payment_link.cancelled': {
    description: 'A payment link was cancelled (DELETE /payment-links/{id}); its page stops taking payments.',
    data: Type.Object({
      id: Id,
      account_id: Id,
      amount_type: Type.Enum(['fixed', 'open']),
      currency: Type.Enum(currencies),
      amount: nullable(Amount),
      reference: Type.String(),
      status: Type.Enum(paymentLinkStatuses),
      single_use: Type.Boolean(),
    }),
  },
  'payout.completed': {
    description: 'The rail paid a payout out; the money has left for good.',
    data: PayoutData,
  },
  'payout.failed': {
    description: 'The rail refused a payout; the held amount is available again.',
    data: PayoutData,
  },
  'webhook_endpoint.disabled': {
    description:
      "A webhook endpoint was disabled because every delivery to it failed for days (sent to the platform's other endpoints).",
    data: Type.Object({ ...WebhookEndpointData, disabled_reason: Type.Enum(['failing']), failing_since: DateTime }),
  },
  'webhook.test': {
    description: 'A test event, sent on request (POST /webhooks/{id}/test or the dashboard) to one endpoint only.',
    data: Type.Object({ endpoint_id: Id, message: Type.String() }),
  },
} as const satisfies Record<string, { description: string; data: Type.TSchema }>;

export type EventType = keyof typeof eventCatalogue;
export const eventTypes = Object.keys(eventCatalogue) as readonly EventType[];
export type EventData<T extends EventType> = Type.Static<(typeof eventCatalogue)[T]['data']>;
