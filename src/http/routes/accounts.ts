// /api/v1/account (the account in scope) and /api/v1/accounts (the platform's connected accounts: create, list, read, update).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { createConnectedAccount, getScopeAccount, listConnectedAccounts, resolvePathAccount, updateConnectedAccount } from '../../domain/accounts/accounts.ts';
import type { Services } from '../../services.ts';
import { scopeOf } from '../api-auth.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { AccountIdParams, bearerSecurity, errorResponses, listBody, listOf, listQuery, MetadataInput, MetadataUpdate, nullable, published, countryRules, nonBlankRules } from '../schemas.ts';
import { AccountSchema, serializeAccount } from '../serializers/account.ts';
import { frozenJson } from '../serializers/frozen-json.ts';

const CreateAccountBody = Type.Object(
  {
    customer_type: Type.Union([Type.Literal('individual'), Type.Literal('business')]),
    email: Type.String({ maxLength: 254, ...published({ format: 'email', examples: ['ada@example.com'] }) }),
    country: Type.String({ description: 'ISO 3166-1 alpha-2, e.g. "AU"', ...countryRules }),
    reference_id: Type.Optional(Type.String({ maxLength: 128, description: "Your own id for this customer; unique per platform and environment.", examples: ['cust_8812'] })),
    display_name: Type.Optional(Type.String({ maxLength: 200, description: 'Up to 200 characters (code points: an emoji is one).', ...nonBlankRules('Ada Lovelace') })),
    metadata: MetadataInput,
  },
  { additionalProperties: false },
);

const UpdateAccountBody = Type.Object(
  {
    display_name: Type.Optional(nullable(Type.String({ maxLength: 200, description: 'Up to 200 characters (code points); null clears it.', ...nonBlankRules('Ada Lovelace') }))),
    email: Type.Optional(Type.String({ maxLength: 254, ...published({ format: 'email', examples: ['ada@example.com'] }) })),
    reference_id: Type.Optional(nullable(Type.String({ maxLength: 128, description: 'Unique per platform and environment (409 REFERENCE_ID_CONFLICT); null clears it.', examples: ['cust_8812'] }))),
    metadata: MetadataUpdate,
  },
  { additionalProperties: false },
);

const CreatedAccount = Type.Intersect([AccountSchema, Type.Object({ connected_account_id: Type.String() })]);

export async function accountRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/account',
    {
      config: { scope: 'any', permission: 'accounts:read', rateLimitGroup: 'general' },
      schema: {
        summary: 'The account in scope',
        description: 'The platform account, or with x-on-behalf-of the connected account. The call to make to check that a new key works.',
        tags: ['Accounts'],
        security: bearerSecurity,
        response: { 200: AccountSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const scope = scopeOf(request);
      return frozenJson(reply, serializeAccount(await getScopeAccount(services, scope), scope.environment));
    },
  );

  app.post(
    '/accounts',
    {
      config: { scope: 'platform', idempotent: true, permission: 'accounts:write', rateLimitGroup: 'general' },
      schema: {
        summary: 'Create a connected account',
        tags: ['Accounts'],
        security: bearerSecurity,
        body: CreateAccountBody,
        response: { 201: CreatedAccount, ...errorResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const scope = scopeOf(request);
        const body = request.body;
        const row = await createConnectedAccount(services, work, scope, {
          customerType: body.customer_type,
          email: body.email,
          country: body.country,
          referenceId: body.reference_id,
          displayName: body.display_name,
          metadata: body.metadata,
        });
        return { status: 201, body: { ...serializeAccount(row, scope.environment), connected_account_id: row.id } };
      }),
  );

  app.get(
    '/accounts',
    {
      config: { scope: 'platform', permission: 'accounts:read', rateLimitGroup: 'general' },
      schema: {
        summary: 'List connected accounts',
        tags: ['Accounts'],
        security: bearerSecurity,
        querystring: listQuery({
          email: Type.Optional(Type.String({ maxLength: 254 })),
          reference_id: Type.Optional(Type.String({ maxLength: 128 })),
        }),
        response: { 200: listOf(AccountSchema), ...errorResponses },
      },
    },
    async (request) => {
      const scope = scopeOf(request);
      const { limit, cursor, email, reference_id } = request.query;
      const page = await listConnectedAccounts(services, scope, { limit, cursor }, { email, referenceId: reference_id });
      return listBody(page.data.map((row) => serializeAccount(row, scope.environment)), page.nextCursor);
    },
  );

  app.get(
    '/accounts/:id',
    {
      config: { scope: 'any', permission: 'accounts:read', rateLimitGroup: 'general' },
      schema: {
        summary: 'Read an account',
        description: 'The platform itself or one of its connected accounts. With x-on-behalf-of the id must equal the header.',
        tags: ['Accounts'],
        security: bearerSecurity,
        params: AccountIdParams,
        response: { 200: AccountSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const scope = scopeOf(request);
      return frozenJson(reply, serializeAccount(await resolvePathAccount(services, scope, request.params.id), scope.environment));
    },
  );

  app.patch(
    '/accounts/:id',
    {
      config: { scope: 'platform', idempotent: true, permission: 'accounts:write', rateLimitGroup: 'general' },
      schema: {
        summary: 'Update a connected account',
        description:
          'Changes display_name, email, reference_id or metadata; fields left out stay as they are. metadata is merged (a key set to null is removed). A change records the account.updated event.',
        tags: ['Accounts'],
        security: bearerSecurity,
        params: AccountIdParams,
        body: UpdateAccountBody,
        response: { 200: AccountSchema, ...errorResponses, 409: Type.Ref('ErrorResponse'), 422: Type.Ref('ErrorResponse') },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const scope = scopeOf(request);
        const body = request.body;
        const row = await updateConnectedAccount(services, work, scope, request.params.id, {
          displayName: body.display_name,
          email: body.email,
          referenceId: body.reference_id,
          metadata: body.metadata,
        });
        return { status: 200, body: serializeAccount(row, scope.environment) };
      }),
  );
}
