// /api/v1/webhooks: the platform's webhook endpoints in the key's environment — register, change, rotate the secret,
// send a test event, read the deliveries.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import {
  createEndpoint,
  deleteEndpoint,
  getEndpoint,
  listEndpoints,
  rotateEndpointSecret,
  sendTestEvent,
  updateEndpoint,
  type WebhookOwner,
} from '../../domain/webhooks/endpoints.ts';
import { listDeliveries } from '../../domain/webhooks/event-log.ts';
import { assertPlatformScope } from '../../domain/accounts/accounts.ts';
import { eventTypes } from '../../domain/event-types.ts';
import type { Services } from '../../services.ts';
import { scopeOf } from '../api-auth.ts';
import { optionalBody } from '../optional-body.ts';
import { replyFromWork } from '../reply-from-work.ts';
import { bearerSecurity, domainChecked, errorResponses, listBody, listOf, listQuery, MetadataInput, MetadataUpdate } from '../schemas.ts';
import { DeliverySchema, EventSchema, serializeDelivery, serializeEndpoint, serializeEvent, WebhookEndpointSchema, WebhookEndpointWithSecretSchema } from '../serializers/webhooks.ts';

const eventsDescription = `Event types to receive, or ["*"] for all: ${eventTypes.join(', ')}.`;

const CreateEndpointBody = Type.Object(
  {
    url: Type.Unknown({ description: 'https URL that receives the events (production: https and a public address only).' }),
    events: Type.Unknown({ description: eventsDescription }),
    description: Type.Optional(Type.Unknown({ description: 'Up to 500 characters, for you.' })),
    metadata: MetadataInput,
  },
  { additionalProperties: false },
);

const UpdateEndpointBody = Type.Object(
  {
    url: Type.Optional(Type.Unknown()),
    events: Type.Optional(Type.Unknown({ description: eventsDescription })),
    description: Type.Optional(Type.Unknown({ description: 'null clears it.' })),
    status: Type.Optional(domainChecked(['enabled', 'disabled'])),
    metadata: MetadataUpdate,
  },
  { additionalProperties: false },
);

const EndpointIdParams = Type.Object({ id: Type.String({ maxLength: 100, description: 'A webhook endpoint id, we_…' }) });
const conflictResponses = { 409: Type.Ref('ErrorResponse'), 422: Type.Ref('ErrorResponse') };

export function ownerOf(request: FastifyRequest): WebhookOwner {
  const scope = scopeOf(request);
  assertPlatformScope(scope);
  return { platformId: scope.platformId, environment: scope.environment };
}

export async function webhookRoutes(fastify: FastifyInstance, services: Services): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Webhooks'];
  const now = () => services.now();

  app.post(
    '/webhooks',
    {
      config: { scope: 'platform', idempotent: true, permission: 'webhooks:write', rateLimitGroup: 'webhook_registration' },
      schema: {
        summary: 'Register a webhook endpoint',
        description: 'Answers with the signing secret (whsec_…), shown in this response only.',
        tags,
        security: bearerSecurity,
        body: CreateEndpointBody,
        response: { 201: WebhookEndpointWithSecretSchema, ...errorResponses, ...conflictResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const owner = ownerOf(request);
        const { endpoint, secret } = await createEndpoint(services, work, owner, request.body);
        return { status: 201, body: { ...serializeEndpoint(owner.environment, endpoint, now()), secret } };
      }),
  );

  app.get(
    '/webhooks',
    {
      config: { scope: 'platform', permission: 'webhooks:read', rateLimitGroup: 'general' },
      schema: { summary: 'List the webhook endpoints, oldest first', tags, security: bearerSecurity, querystring: listQuery({}), response: { 200: listOf(WebhookEndpointSchema), ...errorResponses } },
    },
    async (request) => {
      const owner = ownerOf(request);
      const page = await listEndpoints(services, owner, request.query);
      return listBody(page.data.map((e) => serializeEndpoint(owner.environment, e, now())), page.nextCursor);
    },
  );

  app.get(
    '/webhooks/:id',
    {
      config: { scope: 'platform', permission: 'webhooks:read', rateLimitGroup: 'general' },
      schema: { summary: 'Read a webhook endpoint', tags, security: bearerSecurity, params: EndpointIdParams, response: { 200: WebhookEndpointSchema, ...errorResponses } },
    },
    async (request) => {
      const owner = ownerOf(request);
      return serializeEndpoint(owner.environment, await getEndpoint(services, owner, request.params.id), now());
    },
  );

  app.patch(
    '/webhooks/:id',
    {
      config: { scope: 'platform', permission: 'webhooks:write', rateLimitGroup: 'general' },
      schema: {
        summary: 'Change a webhook endpoint: url, events, description, status (enabled or disabled) or metadata',
        description: 'Disabling ends its pending deliveries (undelivered; redeliver them once it is enabled again).',
        tags,
        security: bearerSecurity,
        params: EndpointIdParams,
        body: UpdateEndpointBody,
        response: { 200: WebhookEndpointSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const owner = ownerOf(request);
        return { status: 200, body: serializeEndpoint(owner.environment, await updateEndpoint(services, work, owner, request.params.id, request.body), now()) };
      }),
  );

  app.delete(
    '/webhooks/:id',
    {
      config: { scope: 'platform', permission: 'webhooks:write', rateLimitGroup: 'general' },
      schema: {
        summary: 'Delete a webhook endpoint',
        tags,
        security: bearerSecurity,
        params: EndpointIdParams,
        response: { 200: Type.Object({ ...WebhookEndpointSchema.properties, deleted: Type.Literal(true) }), ...errorResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const owner = ownerOf(request);
        const row = await deleteEndpoint(services, work, owner, request.params.id);
        return { status: 200, body: { ...serializeEndpoint(owner.environment, row, now()), deleted: true as const } };
      }),
  );

  app.post(
    '/webhooks/:id/rotate-secret',
    {
      config: { scope: 'platform', idempotent: true, permission: 'webhooks:write', rateLimitGroup: 'general' },
      schema: {
        summary: 'Rotate the signing secret',
        description:
          'Answers with the new secret (shown once). The previous one keeps signing alongside it for expires_in_seconds (default 86,400; 0 stops it at once), so receivers can switch without missing a delivery. Body (optional): {"expires_in_seconds": 0–604800}.',
        tags,
        security: bearerSecurity,
        params: EndpointIdParams,
        response: { 200: WebhookEndpointWithSecretSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const owner = ownerOf(request);
        const body = optionalBody(request, ['expires_in_seconds']);
        const { endpoint, secret } = await rotateEndpointSecret(services, work, owner, request.params.id, body.expires_in_seconds);
        return { status: 200, body: { ...serializeEndpoint(owner.environment, endpoint, now()), secret } };
      }),
  );

  app.post(
    '/webhooks/:id/test',
    {
      config: { scope: 'platform', idempotent: true, permission: 'webhooks:write', rateLimitGroup: 'general' },
      schema: {
        summary: 'Send a webhook.test event to this endpoint',
        description: 'Answers 202 with the event; its delivery shows in GET /webhooks/{id}/deliveries.',
        tags,
        security: bearerSecurity,
        params: EndpointIdParams,
        response: { 202: EventSchema, ...errorResponses, 409: Type.Ref('ErrorResponse') },
      },
    },
    async (request, reply) =>
      replyFromWork(services, request, reply, async (work) => {
        const owner = ownerOf(request);
        optionalBody(request, []);
        return { status: 202, body: serializeEvent(owner.environment, await sendTestEvent(services, work, owner, request.params.id)) };
      }),
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      config: { scope: 'platform', permission: 'webhooks:read', rateLimitGroup: 'general' },
      schema: {
        summary: "The endpoint's deliveries, newest first, each with every attempt",
        tags,
        security: bearerSecurity,
        params: EndpointIdParams,
        querystring: listQuery({}),
        response: { 200: listOf(DeliverySchema), ...errorResponses },
      },
    },
    async (request) => {
      const page = await listDeliveries(services, ownerOf(request), request.params.id, request.query);
      return listBody(page.data.map(serializeDelivery), page.nextCursor);
    },
  );
}
