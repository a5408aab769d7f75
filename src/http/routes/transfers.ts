// /api/v1/transfers: move funds between the platform and its connected accounts, and read the transfers back.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { createTransfer, getTransfer, listTransfers } from '../../domain/ledger/transfers.ts';
import type { Services } from '../../services.ts';
import { scopeOf } from '../api-auth.ts';
import { currencies, describeCurrencies } from '../../lib/currencies.ts';
import { bearerSecurity, domainChecked, domainCheckedString, errorResponses, listBody, listOf, listQuery, MetadataInput, moneyErrorResponses, amountField, referenceRules } from '../schemas.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { serializeTransfer, TransferSchema } from '../serializers/money.ts';

const CreateTransferBody = Type.Object(
  {
    source_account_id: Type.Optional(Type.String({ maxLength: 100, description: 'Default: the platform account.' })),
    destination_account_id: Type.String({ maxLength: 100 }),
    currency: domainChecked(currencies, { description: `${describeCurrencies()}.` }),
    amount: amountField('Decimal string, e.g. "100.00".'),
    reference: Type.Optional(Type.String({ maxLength: 140, description: 'Unique per source account, forever. Printable ASCII.', ...referenceRules })),
    metadata: MetadataInput,
  },
  { additionalProperties: false },
);

const TransferIdParams = Type.Object({ id: Type.String({ maxLength: 100, description: 'A transfer id, tr_…' }) });

export async function transferRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Transfers'];
  app.post(
    '/transfers',
    {
      config: { scope: 'platform', idempotent: true, movesMoney: true, permission: 'transfers:write', rateLimitGroup: 'payments' },
      schema: {
        summary: 'Transfer funds between the platform and its connected accounts',
        tags,
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
          metadata: body.metadata,
        });
        return { status: 201, body: serializeTransfer(transfer) };
      }),
  );

  app.get(
    '/transfers',
    {
      config: { scope: 'any', permission: 'transfers:read', rateLimitGroup: 'general' },
      schema: {
        summary: 'List transfers, newest first',
        description:
          "The platform sees every transfer between its accounts; with x-on-behalf-of, only the transfers that account sent or received. account_id narrows to one account's transfers (either side); with x-on-behalf-of it must name that account (400 ON_BEHALF_OF_MISMATCH).",
        tags,
        security: bearerSecurity,
        querystring: listQuery({
          account_id: Type.Optional(Type.String({ maxLength: 100, description: 'Transfers this account sent or received.' })),
          currency: Type.Optional(domainCheckedString(currencies, { maxLength: 10 })),
        }),
        response: { 200: listOf(TransferSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, cursor, account_id, currency } = request.query;
      const page = await listTransfers(services, scopeOf(request), { limit, cursor }, { accountId: account_id, currency });
      return listBody(page.data.map(serializeTransfer), page.nextCursor);
    },
  );

  app.get(
    '/transfers/:id',
    {
      config: { scope: 'any', permission: 'transfers:read', rateLimitGroup: 'general' },
      schema: {
        summary: 'Read a transfer',
        description: 'The platform reads any of its transfers; with x-on-behalf-of, only one that account sent or received (else 404 TRANSFER_NOT_FOUND).',
        tags,
        security: bearerSecurity,
        params: TransferIdParams,
        response: { 200: TransferSchema, ...errorResponses },
      },
    },
    async (request) => serializeTransfer(await getTransfer(services, scopeOf(request), request.params.id)),
  );
}
