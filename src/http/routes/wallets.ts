// /api/v1/accounts/{id}/wallet/balances and /api/v1/accounts/{id}/transactions: reading a wallet.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { transactionTypes } from '../../db/schema.ts';
import { getWalletBalances, listTransactions } from '../../domain/ledger/wallets.ts';
import type { Services } from '../../services.ts';
import { scopeOf } from '../api-auth.ts';
import { currencies } from '../../lib/currencies.ts';
import { AccountIdParams, bearerSecurity, domainCheckedString, errorResponses, listBody, listOf, listQuery } from '../schemas.ts';
import { BalancesSchema, serializeBalances, serializeTransaction, TransactionSchema } from '../serializers/money.ts';

export async function walletRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Wallets'];

  app.get(
    '/accounts/:id/wallet/balances',
    {
      config: { scope: 'any', permission: 'balances:read', rateLimitGroup: 'general' },
      schema: {
        summary: "An account's balances per currency",
        description: 'available: spendable now (payouts in progress are already out of it). pending: incoming funds not yet settled.',
        tags,
        security: bearerSecurity,
        params: AccountIdParams,
        response: { 200: BalancesSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { accountId, balances } = await getWalletBalances(services, scopeOf(request), request.params.id);
      return serializeBalances(accountId, balances);
    },
  );

  app.get(
    '/accounts/:id/transactions',
    {
      config: { scope: 'any', permission: 'balances:read', rateLimitGroup: 'general' },
      schema: {
        summary: "An account's transaction history, newest first",
        tags,
        security: bearerSecurity,
        params: AccountIdParams,
        querystring: listQuery({
          currency: Type.Optional(domainCheckedString(currencies, { maxLength: 10 })),
          type: Type.Optional(Type.Union(transactionTypes.map((t) => Type.Literal(t)))),
          from_date: Type.Optional(Type.String({ maxLength: 40, description: 'YYYY-MM-DD (UTC) or ISO 8601 date-time (UTC without an offset), inclusive.' })),
          to_date: Type.Optional(Type.String({ maxLength: 40, description: 'YYYY-MM-DD (the whole UTC day) or ISO 8601 date-time (UTC without an offset), inclusive.' })),
        }),
        response: { 200: listOf(TransactionSchema), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, cursor, currency, type, from_date, to_date } = request.query;
      const page = await listTransactions(services, scopeOf(request), request.params.id, { limit, cursor }, { currency, type, fromDate: from_date, toDate: to_date });
      return listBody(page.data.map(serializeTransaction), page.nextCursor);
    },
  );
}
