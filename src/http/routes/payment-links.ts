// /api/v1/payment-links and /api/v1/payments: links a payer pays through the hosted page, and the payments against
// them (docs/payment-links.md). The sandbox simulator and payer helper live here too, refused in production.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { paymentLinkStatuses, paymentStatuses } from '../../db/schema.ts';
import { cancelPaymentLink, createPaymentLink, getPaymentLink, listPaymentLinks, paymentLinkCurrencies } from '../../domain/payment-links/links.ts';
import { acceptPartialPayment, getPayment, listPayments, payLinkInSandbox, simulatePayment } from '../../domain/payment-links/payments.ts';
import { describeCurrencies } from '../../lib/currencies.ts';
import { ApiError } from '../../lib/errors.ts';
import type { Services } from '../../services.ts';
import { scopeOf } from '../api-auth.ts';
import { optionalBody } from '../optional-body.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { bearerSecurity, domainChecked, errorResponses, listBody, listOf, listQuery, moneyErrorResponses, stringEnum, amountField, published } from '../schemas.ts';
import { DepositSchema, serializeDeposit } from '../serializers/money.ts';
import { CreatedPaymentLinkSchema, PaymentLinkSchema, PaymentSchema, serializeCreatedPaymentLink, serializePayment, serializePaymentLink } from '../serializers/payment-links.ts';

/** Before body validation, so a production key learns the endpoint is sandbox-only whatever it sent. */
async function requireSandbox(request: FastifyRequest): Promise<void> {
  if (scopeOf(request).environment !== 'sandbox') throw new ApiError('SANDBOX_ONLY');
}

const CreateLinkBody = Type.Object(
  {
    amount_type: Type.Union([Type.Literal('fixed'), Type.Literal('open')]),
    currency: domainChecked(paymentLinkCurrencies, { description: `${describeCurrencies(paymentLinkCurrencies)}: AUD by bank transfer to the account's virtual account, USDT/USDC to its Solana address.` }),
    amount: Type.Optional(amountField('Decimal string; fixed links only.')),
    reference: Type.String({ maxLength: 100, description: 'The matching key the payer types: 1–18 letters, digits, "-" or "_". Unique per account among active links.', ...published({ pattern: '^[A-Za-z0-9_-]{1,18}$', examples: ['INV-0042'] }) }),
    expiry: Type.Optional(Type.String({ maxLength: 64, description: 'An ISO 8601 date-time, or a duration from now ("30m", "24h", "7d"); a minute to a year ahead. Default: never.' })),
    single_use: Type.Optional(Type.Boolean({ description: 'Paid once, then `paid`. Default false: a new payment opens after each one settles.' })),
    merchant_name: Type.Optional(Type.String({ maxLength: 200 })),
    merchant_logo_url: Type.Optional(Type.String({ maxLength: 2000, description: 'https; shown on the page.' })),
    redirect_url: Type.Optional(Type.String({ maxLength: 2000, description: 'Where the page sends the payer once the payment settles.' })),
    webhook_url: Type.Optional(Type.String({ maxLength: 2000, description: "Receives this link's payment.* and payment_link.cancelled events, signed with webhook_secret (webhook URL rules apply)." })),
    metadata: Type.Optional(Type.Unknown({ description: 'Up to 20 string values.' })),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

const SimulateBody = Type.Object(
  {
    status: Type.Union([Type.Literal('settled'), Type.Literal('underpaid'), Type.Literal('overpaid'), Type.Literal('expired')]),
    amount_received: Type.Optional(amountField("The payment's total after the simulated funds (decimal string). Default: the link's amount (settled), half of it (underpaid), one unit more (overpaid); required for an open-amount link.")),
  },
  { additionalProperties: false },
);

export async function paymentLinkRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const publicUrl = services.config.publicUrl;
  const tags = ['Payment links'];

  app.post(
    '/payment-links',
    {
      config: { scope: 'any', permission: 'payment_links:write', idempotent: true, rateLimitGroup: 'payments' },
      schema: {
        summary: 'Create a payment link for the account in scope',
        description: 'A hosted page (payment_url) and QR code (qr_code_url) a payer pays through; funds carrying the reference are matched to it. See docs/payment-links.md.',
        tags,
        security: bearerSecurity,
        body: CreateLinkBody,
        response: { 201: CreatedPaymentLinkSchema, ...errorResponses, ...moneyErrorResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const b = request.body;
        const created = await createPaymentLink(services, work, scopeOf(request), {
          amountType: b.amount_type,
          currency: b.currency,
          amount: b.amount,
          reference: b.reference,
          expiry: b.expiry,
          singleUse: b.single_use,
          merchantName: b.merchant_name,
          merchantLogoUrl: b.merchant_logo_url,
          redirectUrl: b.redirect_url,
          webhookUrl: b.webhook_url,
          metadata: b.metadata,
        });
        return { status: 201, body: serializeCreatedPaymentLink(publicUrl, created) };
      }),
  );

  app.get(
    '/payment-links',
    {
      config: { scope: 'any', permission: 'payment_links:read', rateLimitGroup: 'general' },
      schema: {
        summary: 'List the payment links of the account in scope, newest first',
        tags,
        security: bearerSecurity,
        querystring: listQuery({ status: Type.Optional(stringEnum(paymentLinkStatuses)) }),
        response: { 200: listOf(PaymentLinkSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, cursor, status } = request.query;
      const page = await listPaymentLinks(services, scopeOf(request), { limit, cursor }, { status });
      return listBody(page.data.map((v) => serializePaymentLink(publicUrl, v)), page.nextCursor);
    },
  );

  app.get(
    '/payment-links/:id',
    {
      config: { scope: 'any', permission: 'payment_links:read', rateLimitGroup: 'general' },
      schema: { summary: 'Read a payment link', tags, security: bearerSecurity, params: IdParams, response: { 200: PaymentLinkSchema, ...errorResponses } },
    },
    async (request) => serializePaymentLink(publicUrl, await getPaymentLink(services, scopeOf(request), request.params.id)),
  );

  app.delete(
    '/payment-links/:id',
    {
      config: { scope: 'any', permission: 'payment_links:write', idempotent: true, movesMoney: true, rateLimitGroup: 'payments' },
      schema: {
        summary: 'Cancel a payment link',
        description:
          'Links cannot be edited; cancel one and create another. Funds an open payment had received leave the wallet\'s pending and are held as unmatched funds, outside the wallet, until PIK assigns them to the account or returns them to the payer. Cancelling again answers the cancelled link; a paid or expired link → 409 PAYMENT_LINK_NOT_ACTIVE.',
        tags,
        security: bearerSecurity,
        params: IdParams,
        response: { 200: PaymentLinkSchema, ...errorResponses, ...moneyErrorResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => ({
        status: 200,
        body: serializePaymentLink(publicUrl, await cancelPaymentLink(services, work, scopeOf(request), request.params.id)),
      })),
  );

  app.get(
    '/payments',
    {
      config: { scope: 'any', permission: 'payment_links:read', rateLimitGroup: 'general' },
      schema: {
        summary: 'List the payments (against payment links) of the account in scope, newest first',
        tags,
        security: bearerSecurity,
        querystring: listQuery({ payment_link_id: Type.Optional(Type.String({ maxLength: 100 })), status: Type.Optional(stringEnum(paymentStatuses)) }),
        response: { 200: listOf(PaymentSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, cursor, status, payment_link_id } = request.query;
      const page = await listPayments(services, scopeOf(request), { limit, cursor }, { status, paymentLinkId: payment_link_id });
      return listBody(page.data.map(serializePayment), page.nextCursor);
    },
  );

  app.get(
    '/payments/:id',
    {
      config: { scope: 'any', permission: 'payment_links:read', rateLimitGroup: 'general' },
      schema: { summary: 'Read a payment', tags, security: bearerSecurity, params: IdParams, response: { 200: PaymentSchema, ...errorResponses } },
    },
    async (request) => serializePayment(await getPayment(services, scopeOf(request), request.params.id)),
  );

  app.post(
    '/payments/:id/accept-partial',
    {
      config: { scope: 'any', permission: 'payment_links:write', idempotent: true, movesMoney: true, rateLimitGroup: 'payments' },
      schema: {
        summary: 'Settle an underpaid payment for what it received (partial: true)',
        description: 'Only an underpaid payment: anything else → 409 PAYMENT_ALREADY_SETTLED with detail.status. Accepting again answers the payment.',
        tags,
        security: bearerSecurity,
        params: IdParams,
        response: { 200: PaymentSchema, ...errorResponses, ...moneyErrorResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => ({
        status: 200,
        body: serializePayment(await acceptPartialPayment(services, work, scopeOf(request), request.params.id)),
      })),
  );

  app.post(
    '/sandbox/payments/:id/simulate',
    {
      config: { scope: 'any', permission: 'sandbox:write', idempotent: true, movesMoney: true, rateLimitGroup: 'payments' },
      preValidation: requireSandbox,
      schema: {
        summary: 'Sandbox: the outcome of an open payment',
        description:
          'settled, underpaid and overpaid send funds with the link\'s reference, matched as a payer\'s would be; expired runs the link\'s expiry now. The payment already in that outcome is answered as it is; a payment ended otherwise → 409 PAYMENT_ALREADY_SETTLED.',
        tags: ['Sandbox'],
        security: bearerSecurity,
        params: IdParams,
        body: SimulateBody,
        response: { 200: PaymentSchema, ...errorResponses, ...moneyErrorResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => ({
        status: 200,
        body: serializePayment(await simulatePayment(services, work, scopeOf(request), request.params.id, { status: request.body.status, amountReceived: request.body.amount_received })),
      })),
  );

  app.post(
    '/sandbox/payment-links/:id/pay',
    {
      config: { scope: 'any', permission: 'sandbox:write', idempotent: true, movesMoney: true, rateLimitGroup: 'payments' },
      preValidation: requireSandbox,
      schema: {
        summary: 'Sandbox: pay a link as a payer would',
        description:
          "Funds with the link's reference arrive at the account's receiving details, whatever the link's state: matched to its open payment, or held as unmatched (a paid, expired or cancelled link). Each call is another payer's money. Body (optional): {\"amount\": decimal string (default: the link's amount; required for an open-amount link), \"currency\" (default: the link's), \"sender_name\"}.",
        tags: ['Sandbox'],
        security: bearerSecurity,
        params: IdParams,
        response: { 201: DepositSchema, ...errorResponses, ...moneyErrorResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const b = optionalBody(request, ['amount', 'currency', 'sender_name']);
        const row = await payLinkInSandbox(services, work, scopeOf(request), request.params.id, { amount: b.amount, currency: b.currency, senderName: b.sender_name });
        return { status: 201, body: serializeDeposit(row) };
      }),
  );
}
