// /api/v1/accounts/{id}/virtual-account: issue, read and release the AUD virtual account number (needs inbound_payments).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { invalidField } from '../../lib/errors.ts';
import { issueVirtualAccount, readVirtualAccount, releaseVirtualAccount } from '../../domain/ledger/virtual-accounts.ts';
import type { Services } from '../../services.ts';
import { scopeOf } from '../api-auth.ts';
import { optionalBody } from '../optional-body.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { AccountIdParams, bearerSecurity, errorResponses, moneyErrorResponses } from '../schemas.ts';
import { serializeVirtualAccount, VirtualAccountSchema } from '../serializers/money.ts';

export async function virtualAccountRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Virtual accounts'];

  app.post(
    '/accounts/:id/virtual-account',
    {
      config: { scope: 'any', idempotent: true, permission: 'virtual_accounts:write', rateLimitGroup: 'general' },
      schema: {
        summary: 'Issue an AUD virtual account number (BSB + account number) for the account',
        tags,
        security: bearerSecurity,
        params: AccountIdParams,
        response: { 201: VirtualAccountSchema, ...errorResponses, ...moneyErrorResponses },
      },
    },
    async (request, reply) => {
      const { account_name: accountName } = optionalBody(request, ['account_name']);
      if (accountName !== undefined && typeof accountName !== 'string') throw invalidField('account_name', 'account_name must be a string.');
      return replyFromWork(services, request, reply, async (work) => ({
        status: 201,
        body: serializeVirtualAccount(await issueVirtualAccount(services, work, scopeOf(request), request.params.id, { accountName })),
      }));
    },
  );

  app.get(
    '/accounts/:id/virtual-account',
    { config: { scope: 'any', permission: 'virtual_accounts:read', rateLimitGroup: 'general' }, schema: { summary: 'Read the active virtual account number', tags, security: bearerSecurity, params: AccountIdParams, response: { 200: VirtualAccountSchema, ...errorResponses } } },
    async (request) => serializeVirtualAccount(await readVirtualAccount(services, scopeOf(request), request.params.id)),
  );

  app.delete(
    '/accounts/:id/virtual-account',
    {
      config: { scope: 'any', permission: 'virtual_accounts:write', rateLimitGroup: 'general' },
      schema: {
        summary: 'Release the virtual account number (it is never issued again)',
        tags,
        security: bearerSecurity,
        params: AccountIdParams,
        response: { 200: Type.Object({ ...VirtualAccountSchema.properties, released: Type.Literal(true) }), ...errorResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => ({
        status: 200,
        body: { ...serializeVirtualAccount(await releaseVirtualAccount(services, work, scopeOf(request), request.params.id)), released: true as const },
      })),
  );
}
