// How the OpenAPI documents are built from the routes: the public one (/api/v1) and the operator's (/admin/v1), the
// capability each route needs from the capability catalogue, fields the domain checks itself listed as enums, and the
// public document's `webhooks` section from the event catalogue.
import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import Type from 'typebox';
import { eventCatalogue, eventTypes } from '../domain/event-types.ts';
import { capabilitiesOfRoute } from '../lib/capabilities.ts';
import { environments } from '../lib/environments.ts';
import { domainEnumKey } from './schemas.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The operator API's document (/admin/v1 routes only); served behind the operator token. */
    operatorSwagger: FastifyInstance['swagger'];
  }
}

/** "POST /api/v1/accounts/{id}/virtual-account": a route as the capability catalogue names it. */
export function routeName(method: string, url: string): string {
  return `${method} ${url.replace(/:(\w+)/g, '{$1}')}`;
}

/** Adds "Needs the `payouts` capability…" to the description of every route the capability catalogue lists. */
export const noteCapabilities: SwaggerTransform = ({ schema, url, route }) => {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const needed = [...new Set(methods.flatMap((method) => capabilitiesOfRoute(routeName(method, url))))];
  if (needed.length === 0 || !schema) return { schema, url };
  const names = needed.map((c) => `\`${c}\``).join(' and ');
  const note = `Needs the ${names} capability on the account it acts on: 403 ACCOUNT_NOT_VERIFIED, then CAPABILITY_NOT_ACTIVATED.`;
  const description = typeof schema.description === 'string' ? `${schema.description}\n\n${note}` : note;
  return { schema: { ...schema, description }, url };
};

/**
 * Rewrites every domain-checked marker in the generated document into a plain `enum` that readers and tools know.
 * Works on a copy: the document shares objects with the routes' own schemas, which must keep accepting any value.
 */
export function documentDomainEnums<T>(generated: T): T {
  const document = JSON.parse(JSON.stringify(generated)) as T;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const record = node as Record<string, unknown>;
    const values = record[domainEnumKey];
    if (Array.isArray(values)) {
      delete record[domainEnumKey];
      record.enum = values;
      record.type ??= 'string';
    }
    Object.values(record).forEach(visit);
  };
  visit(document);
  return document;
}

/** The headers every delivery carries (src/lib/webhook-signature.ts signs them), as OpenAPI header parameters. */
const deliveryHeaders: readonly { name: string; description: string }[] = [
  {
    name: 'pik-signature',
    description: 'Hex HMAC-SHA256 of the raw body, keyed with the endpoint\'s secret string exactly as shown (`whsec_…`). While a rotated-out secret still signs, one signature per secret, space-separated, newest first.',
  },
  { name: 'pik-timestamp', description: 'When this attempt was signed, in Unix seconds.' },
  {
    name: 'pik-signature-v2',
    description: '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed with the secret string; one `v1=` per secret during a rotation, comma-separated. Refuse a `t` more than 5 minutes from your clock.',
  },
  { name: 'webhook-id', description: 'Standard Webhooks: the delivery id (`wd_…`), the same on every attempt of this event to this endpoint. Deduplicate on it.' },
  { name: 'webhook-timestamp', description: 'Standard Webhooks: when this attempt was signed, in Unix seconds.' },
  {
    name: 'webhook-signature',
    description: 'Standard Webhooks: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">`, keyed with the base64-decoded part of the secret after `whsec_`; one per secret during a rotation, space-separated. The `standardwebhooks` libraries verify it as it is.',
  },
];

/**
 * The top-level `webhooks` section: one `post` per event type of the catalogue, its body the delivery envelope around
 * that type's `data` schema. Copied through JSON, so the document never shares an object with the catalogue.
 */
export function webhookOperations(): Record<string, OpenAPIV3_1.PathItemObject> {
  const operations: Record<string, object> = {};
  for (const type of eventTypes) {
    const { description, data } = eventCatalogue[type];
    const envelope = Type.Object({
      event_id: Type.String({ description: 'The event (`evt_…`): the same in every delivery of this event, to every endpoint (`GET /api/v1/events/{id}`).' }),
      object: Type.Literal('event'),
      type: Type.Literal(type),
      created_at: Type.String({ format: 'date-time', description: 'When the change was committed, not when this attempt was made.' }),
      environment: Type.Enum(environments),
      account_id: Type.String({ description: 'The account the event concerns: a connected account, or the platform itself.' }),
      data,
    });
    operations[type] = {
      post: {
        summary: type,
        description: `${description}\n\nSent to each enabled endpoint subscribed to \`${type}\` or to \`*\` (unless said otherwise above), signed with its secret (the headers below), and retried until acknowledged — by default after 5 min, 30 min, 2 h, 8 h and 24 h. See docs/webhooks.md.`,
        tags: ['Webhooks'],
        parameters: deliveryHeaders.map(({ name, description }) => ({ name, in: 'header', required: true, description, schema: { type: 'string' } })),
        requestBody: { required: true, content: { 'application/json': { schema: envelope } } },
        responses: {
          '2XX': { description: 'Any 2xx within 10 s acknowledges the delivery' },
          default: { description: 'Any other status, a redirect or no answer in time is a failed attempt, retried on the schedule.' },
        },
      },
    };
  }
  // openapi-types cannot express a 3.1 schema inside a 3.1 media type (it intersects the 3.0 and 3.1 shapes).
  return JSON.parse(JSON.stringify(operations)) as Record<string, OpenAPIV3_1.PathItemObject>;
}

/** A route outside `prefix` is left out of the document; one inside goes through `transform`. */
function onlyUnder(prefix: string, transform?: SwaggerTransform): SwaggerTransform {
  return (input) => {
    if (!input.url.startsWith(prefix)) return { schema: { ...input.schema, hide: true }, url: input.url };
    return transform ? transform(input) : { schema: input.schema, url: input.url };
  };
}

// Shared schemas keep their $id as their name in components.schemas (ErrorResponse, Account, …).
const refResolver = { buildLocalReference: (json: { $id?: unknown }, _baseUri: unknown, _fragment: unknown, i: number) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) };

/**
 * Two documents, each generated from its own routes only. The public one (`app.swagger()`, served at
 * /api/v1/openapi.json and /docs) holds the /api/v1 routes and nothing of the operator API: a route left out is never
 * generated, so no transform of the finished document can forget to remove it. The operator's
 * (`app.operatorSwagger()`) holds the /admin/v1 routes and is served at /admin/v1/openapi.json, behind the token
 * (serveOperatorDocument). Must be registered before the routes.
 */
export async function registerOpenApiDocuments(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    refResolver,
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'PIK platform API',
        version: '1.0.0',
        description:
          'Connected accounts, verification, capabilities, wallets and money movement for platforms.\n\n' +
          'Every route below takes a bearer API key. Outside the API, without a key, for load balancers and for scripts ' +
          'that wait for a start: `GET /health` (liveness) answers `200 {"status":"ok"}` whenever the process answers; ' +
          '`GET /health/ready` (readiness) answers `200 {"status":"ready","checks":{…}}` when a database round trip ' +
          'succeeds, the LISTEN connection is up and (embedded database) the data directory has free disk, and otherwise ' +
          '`503 SERVICE_UNAVAILABLE` with `Retry-After` and `detail.failing` naming the failing checks. While the server ' +
          'starts or stops, and while its database is unavailable (stopped, failing over, disk full), requests are ' +
          'answered `503 SERVICE_UNAVAILABLE` with `Retry-After` — never 500: retry them, with the same Idempotency-Key. ' +
          'A request whose headers and body do not arrive within the request timeout (30 s by default) is answered ' +
          '`408 REQUEST_TIMEOUT`. `GET /` lists these addresses; a browser is sent to the dashboard.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'A pik_test_… (sandbox) or pik_live_… (production) API key.' },
        },
      },
      webhooks: webhookOperations(),
    },
    transform: onlyUnder('/api/v1/', noteCapabilities),
    transformObject: (documents) => ('openapiObject' in documents ? documentDomainEnums(documents.openapiObject) : documents.swaggerObject),
  });
  await app.register(swagger, {
    decorator: 'operatorSwagger',
    refResolver,
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'PIK operator API',
        version: '1.0.0',
        description: 'Platform accounts, their API keys and limits, production verification decisions and the rails: for PIK itself.',
      },
      components: {
        securitySchemes: {
          operatorToken: { type: 'http', scheme: 'bearer', description: 'The operator token (PIK_OPERATOR_TOKEN, or the operator-token file).' },
        },
      },
    },
    transform: onlyUnder('/admin/v1/'),
    transformObject: (documents) => ('openapiObject' in documents ? documentDomainEnums(documents.openapiObject) : documents.swaggerObject),
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

/** GET /admin/v1/openapi.json, on the operator API's instance, so its token check guards it like any operator route. */
export function serveOperatorDocument(admin: FastifyInstance): void {
  admin.get('/openapi.json', { schema: { hide: true } }, async () => admin.operatorSwagger());
}
