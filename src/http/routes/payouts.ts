// /api/v1/payouts: pay out to a bank account or a Solana address (needs the payouts capability).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { createPayout, getPayout, listPayouts } from '../../domain/ledger/payouts.ts';
import type { Services } from '../../services.ts';
import { scopeOf } from '../api-auth.ts';
import { currencies, currenciesPaidOutBy, networks, payoutRails } from '../../lib/currencies.ts';
import { bearerSecurity, domainChecked, domainCheckedString, errorResponses, listBody, listOf, listQuery, MetadataInput, moneyErrorResponses, published, amountField, referenceRules } from '../schemas.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { PayoutSchema, serializePayout } from '../serializers/money.ts';

const BankDestination = Type.Object(
  {
    bsb: Type.String({ maxLength: 20, examples: ['062-000'] }),
    account_number: Type.String({ maxLength: 20, examples: ['12345678'] }),
    account_name: Type.String({ maxLength: 200, examples: ['Jane Citizen'] }),
  },
  { additionalProperties: false, title: 'Bank account (AU)' },
);
const CryptoDestination = Type.Object(
  { address: Type.String({ maxLength: 100, examples: ['So11111111111111111111111111111111111111112'] }), network: domainCheckedString(networks, { maxLength: 20 }) },
  { additionalProperties: false, title: 'Crypto address' },
);

const CreatePayoutBody = Type.Object(
  {
    currency: domainChecked(currencies, { description: `${payoutRails.map((rail) => `${currenciesPaidOutBy(rail).join(', ')} (${rail})`).join(' or ')}.` }),
    amount: amountField('Decimal string, e.g. "250.00".', '250.00'),
    destination_type: Type.Union(payoutRails.map((rail) => Type.Literal(rail))),
    destination: Type.Union([BankDestination, CryptoDestination]),
    reference: Type.Optional(Type.String({ maxLength: 140, description: 'Unique per account, forever. Printable ASCII.', ...referenceRules })),
    idempotency_key: Type.Optional(Type.String({ maxLength: 255, description: 'Same as the Idempotency-Key header.' })),
    metadata: MetadataInput,
  },
  {
    additionalProperties: false,
    // Which destination goes with which destination_type; the domain answers a mismatch naming destination.
    ...published({
      oneOf: [
        { title: 'Bank account', properties: { destination_type: { const: 'bank_account' }, destination: BankDestination } },
        { title: 'Crypto address', properties: { destination_type: { const: 'crypto_address' }, destination: CryptoDestination } },
      ],
      discriminator: { propertyName: 'destination_type' },
    }),
  },
);

const PayoutIdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

export async function payoutRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Payouts'];

  app.post(
    '/payouts',
    {
      config: { scope: 'any', idempotent: { bodyField: 'idempotency_key' }, movesMoney: true, permission: 'payouts:write', rateLimitGroup: 'payouts' },
      schema: {
        summary: 'Create a payout from the account in scope',
        description: 'The amount is held (out of available) while the payout is pending; a failed payout releases it.',
        tags,
        security: bearerSecurity,
        body: CreatePayoutBody,
        response: { 201: PayoutSchema, ...errorResponses, ...moneyErrorResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const body = request.body;
        const row = await createPayout(services, work, scopeOf(request), {
          currency: body.currency,
          amount: body.amount,
          destinationType: body.destination_type,
          destination: body.destination,
          reference: body.reference,
          metadata: body.metadata,
        });
        return { status: 201, body: serializePayout(row) };
      }),
  );

  app.get(
    '/payouts',
    {
      config: { scope: 'any', permission: 'payouts:read', rateLimitGroup: 'general' },
      schema: {
        summary: 'List the payouts of the account in scope, newest first',
        tags,
        security: bearerSecurity,
        querystring: listQuery({ status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('completed'), Type.Literal('failed')])) }),
        response: { 200: listOf(PayoutSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, cursor, status } = request.query;
      const page = await listPayouts(services, scopeOf(request), { limit, cursor }, { status });
      return listBody(page.data.map(serializePayout), page.nextCursor);
    },
  );

  app.get(
    '/payouts/:id',
    {
      config: { scope: 'any', permission: 'payouts:read', rateLimitGroup: 'general' },
      schema: { summary: 'Read a payout', tags, security: bearerSecurity, params: PayoutIdParams, response: { 200: PayoutSchema, ...errorResponses } },
    },
    async (request) => serializePayout(await getPayout(services, scopeOf(request), request.params.id)),
  );
}
