// /admin/v1: the operator creates platforms and manages their API keys in either environment.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { operator } from '../../lib/actor.ts';
import { createApiKey, deleteApiKey, listApiKeys, maxRollGraceSeconds, rollApiKey, updateApiKey } from '../../domain/api-keys/api-keys.ts';
import { createPlatform, listPlatforms, requirePlatform } from '../../domain/platforms/platforms.ts';
import { getPlatformRateLimits, setPlatformRateLimits } from '../../domain/platforms/rate-limits.ts';
import { rateLimitGroupCatalogue, rateLimitGroups } from '../../lib/rate-limit-groups.ts';
import { listWithOr } from '../../lib/words.ts';
import type { Services } from '../../services.ts';
import { EnvironmentSchema, listBody, listOf, nullable, operatorSecurity, published } from '../schemas.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { AllowedIpsInput, ApiKeySchema, PermissionsInput, serializeApiKey } from '../serializers/api-key.ts';

const PlatformSchema = Type.Object({
  id: Type.String(),
  object: Type.Literal('platform'),
  name: Type.String(),
  owner_email: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
});
const IdParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
const operatorKeyActor = { kind: 'operator' } as const;

export async function adminPlatformRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Operator'];

  app.post(
    '/platforms',
    {
      schema: {
        summary: 'Create a platform account with its first dashboard user',
        tags,
        security: operatorSecurity,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            owner_email: Type.String({ maxLength: 254 }),
            owner_password: Type.Optional(Type.String({ maxLength: 256 })),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            ...PlatformSchema.properties,
            owner: Type.Object({ id: Type.String(), email: Type.String() }),
            set_password_url: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const { name, owner_email, owner_password } = request.body;
        const created = await createPlatform(services, work, operator, { name, ownerEmail: owner_email, ownerPassword: owner_password });
        work.audit({ action: 'platform.created', platformId: created.platform.id, environment: null, targetType: 'platform', targetId: created.platform.id, details: { name: created.platform.name, owner_user_id: created.owner.id } });
        return {
          status: 201,
          body: {
            id: created.platform.id,
            object: 'platform' as const,
            name: created.platform.name,
            owner_email: created.owner.email,
            created_at: created.platform.createdAt.toISOString(),
            owner: created.owner,
            set_password_url: created.setPasswordUrl,
          },
        };
      }),
  );

  app.get(
    '/platforms',
    { schema: { summary: 'List platforms', tags, security: operatorSecurity, response: { 200: listOf(PlatformSchema) } } },
    async () => {
      const platforms = await listPlatforms(services, operator);
      return listBody(platforms.map((p) => ({ id: p.id, object: 'platform' as const, name: p.name, owner_email: p.ownerEmail, created_at: p.createdAt.toISOString() })));
    },
  );

  const RateLimitsSchema = Type.Object({
    platform_id: Type.String(),
    limits: Type.Object(Object.fromEntries(rateLimitGroups.map((g) => [g, Type.Integer({ description: `Default ${rateLimitGroupCatalogue[g].perMinute}: ${rateLimitGroupCatalogue[g].covers}.` })]))),
  });

  app.get(
    '/platforms/:id/rate-limits',
    { schema: { summary: "A platform's per-minute limits by group", tags, security: operatorSecurity, params: IdParams, response: { 200: RateLimitsSchema } } },
    async (request) => {
      const platform = await requirePlatform(services, request.params.id);
      return { platform_id: platform.id, limits: await getPlatformRateLimits(services, platform.id) };
    },
  );

  app.put(
    '/platforms/:id/rate-limits',
    {
      schema: {
        summary: "Raise or lower a platform's per-minute limits by group",
        tags,
        security: operatorSecurity,
        params: IdParams,
        body: Type.Object(
          { limits: Type.Record(Type.String(), Type.Integer(), { description: `Requests per minute by group: ${listWithOr(rateLimitGroups)}.`, ...published({ propertyNames: { enum: [...rateLimitGroups] }, minProperties: 1, examples: [{ general: 600, payouts: 60 }] }) }) },
          { additionalProperties: false },
        ),
        response: { 200: RateLimitsSchema },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const limits = await setPlatformRateLimits(services, work, operator, request.params.id, request.body.limits);
        work.audit({ action: 'platform.rate_limits_changed', platformId: request.params.id, environment: null, targetType: 'platform', targetId: request.params.id, details: { changes: request.body.limits, limits } });
        return { status: 200, body: { platform_id: request.params.id, limits } };
      }),
  );

  app.post(
    '/platforms/:id/keys',
    {
      schema: {
        summary: "Generate an API key for a platform (the secret is in this response only)",
        tags,
        security: operatorSecurity,
        params: IdParams,
        body: Type.Object(
          {
            environment: EnvironmentSchema,
            name: Type.Optional(Type.String({ maxLength: 100 })),
            permissions: Type.Optional(PermissionsInput),
            expires_at: Type.Optional(nullable(Type.String({ format: 'date-time', description: 'When the key stops working (401 API_KEY_EXPIRED); in the future. Absent or null: never.' }))),
            allowed_ips: Type.Optional(AllowedIpsInput),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ ...ApiKeySchema.properties, secret: Type.String() }) },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const { environment, name, permissions, expires_at, allowed_ips } = request.body;
        const created = await createApiKey(services, work, operatorKeyActor, {
          platformId: request.params.id,
          environment,
          name,
          permissions,
          expiresAt: expires_at === undefined || expires_at === null ? null : new Date(expires_at),
          allowedIps: allowed_ips,
        });
        return { status: 201, body: { ...serializeApiKey(created.key, services.now()), secret: created.secret } };
      }),
  );

  app.patch(
    '/keys/:id',
    {
      schema: {
        summary: "Change a key's permissions or IP allowlist (every server applies it within a second)",
        tags,
        security: operatorSecurity,
        params: IdParams,
        body: Type.Object({ permissions: Type.Optional(PermissionsInput), allowed_ips: Type.Optional(AllowedIpsInput) }, { additionalProperties: false }),
        response: { 200: ApiKeySchema },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => ({
        status: 200,
        body: serializeApiKey(await updateApiKey(services, work, operatorKeyActor, request.params.id, { permissions: request.body.permissions, allowedIps: request.body.allowed_ips }), services.now()),
      })),
  );

  app.post(
    '/keys/:id/roll',
    {
      schema: {
        summary: 'Roll a key: a successor with the same name, permissions and allowlist (secret in this response only); the old key expires after the grace period',
        tags,
        security: operatorSecurity,
        params: IdParams,
        body: Type.Object(
          { expires_in_seconds: Type.Integer({ minimum: 0, maximum: maxRollGraceSeconds, description: 'How long the old key keeps working: 0 (now) to 604800 (7 days).' }) },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({ ...ApiKeySchema.properties, secret: Type.String(), previous: ApiKeySchema }),
        },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const rolled = await rollApiKey(services, work, operatorKeyActor, request.params.id, request.body.expires_in_seconds);
        const now = services.now();
        return { status: 201, body: { ...serializeApiKey(rolled.key, now), secret: rolled.secret, previous: serializeApiKey(rolled.previous, now) } };
      }),
  );

  app.get(
    '/platforms/:id/keys',
    {
      schema: {
        summary: "List a platform's API keys",
        tags,
        security: operatorSecurity,
        params: IdParams,
        querystring: Type.Object({ environment: Type.Optional(EnvironmentSchema) }, { additionalProperties: false }),
        response: { 200: listOf(ApiKeySchema) },
      },
    },
    async (request) => {
      const keys = await listApiKeys(services, operatorKeyActor, request.params.id, request.query.environment);
      const now = services.now();
      return listBody(keys.map((k) => serializeApiKey(services.keyUsage.withPending(k), now)));
    },
  );

  app.delete(
    '/keys/:id',
    {
      schema: {
        summary: 'Delete an API key (it stops working on every server within a second)',
        tags,
        security: operatorSecurity,
        params: IdParams,
        response: { 200: ApiKeySchema },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => ({ status: 200, body: serializeApiKey(await deleteApiKey(services, work, operatorKeyActor, request.params.id), services.now()) })),
  );
}
