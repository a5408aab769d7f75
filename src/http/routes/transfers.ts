// POST /api/v1/transfers: move funds between the platform and its connected accounts.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { createTransfer } from '../../domain/ledger/transfers.ts';
import type { Services } from '../../services.ts';
import { scopeOf } from '../api-auth.ts';
import { currencies, describeCurrencies } from '../../lib/currencies.ts';
import { bearerSecurity, domainChecked, errorResponses, moneyErrorResponses, amountField, referenceRules } from '../schemas.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { serializeTransfer, TransferSchema } from '../serializers/money.ts';

const CreateTransferBody = Type.Object(
  {
    source_account_id: Type.Optional(Type.String({ maxLength: 100, description: 'Default: the platform account.' })),
    destination_account_id: Type.String({ maxLength: 100 }),
    currency: domainChecked(currencies, { description: `${describeCurrencies()}.` }),
    amount: amountField('Decimal string, e.g. "100.00".'),
    reference: Type.Optional(Type.String({ maxLength: 140, description: 'Unique per source account, forever. Printable ASCII.', ...referenceRules })),
  },
  { additionalProperties: false },
);

export async function transferRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/transfers',
    {
      config: { scope: 'platform', idempotent: true, movesMoney: true, permission: 'transfers:write', rateLimitGroup: 'payments' },
      schema: {
        summary: 'Transfer funds between the platform and its connected accounts',
        tags: ['Transfers'],
        security: bearerSecurity,
        body: CreateTransferBody,
        response: { 201: TransferSchema, ...errorResponses, ...moneyErrorResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const body = request.body;
        const transfer = await createTransfer(services, work, scopeOf(request), {
          sourceAccountId: body.source_account_id,
          destinationAccountId: body.destination_account_id,
          currency: body.currency,
          amount: body.amount,
          reference: body.reference,
        });
        return { status: 201, body: serializeTransfer(transfer) };
      }),
  );
}
