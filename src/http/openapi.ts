// How the OpenAPI documents are built from the routes: the public one (/api/v1) and the operator's (/admin/v1), the
// capability each route needs from the capability catalogue, fields the domain checks itself listed as enums, and the
// public document's `webhooks` section from the event catalogue.
import swagger, { type SwaggerTransform } from '@fastify/swagger';
import type { FastifyContextConfig, FastifyInstance } from 'fastify';
import type { OpenAPIV3_1 } from 'openapi-types';
import Type from 'typebox';
import { eventCatalogue, eventTypes } from '../domain/event-types.ts';
import { capabilitiesOfRoute } from '../lib/capabilities.ts';
import { environments } from '../lib/environments.ts';
import { errorCodesOf, errorResponseDescription, errorStatusesOf, gateOf, rateLimitHeaders, retryAfterHeader } from './contract.ts';
import { domainEnumKey, publishedRulesKey } from './schemas.ts';
import { errorDocUrl, errorEntry, type ErrorCode } from '../lib/errors.ts';
import { addExamples } from './openapi-examples.ts';
import { serveErrorReference } from './error-reference.ts';
import { serveDocsPage } from './docs-page.ts';


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
    const rules = record[publishedRulesKey];
    if (typeof rules === 'object' && rules !== null) {
      delete record[publishedRulesKey];
      Object.assign(record, rules);
    }
    Object.values(record).forEach(visit);
  };
  visit(document);
  return document;
}

type OperationObject = {
  parameters?: { in: string; required?: boolean; schema?: { default?: unknown } }[];
  responses?: Record<string, { description?: string; content?: Record<string, { example?: unknown }> }>;
  'x-error-codes'?: ErrorCode[];
};

/**
 * The last pass over a generated document (a copy, see documentDomainEnums): domain-checked markers become enums, each
 * error response's description names its codes (@fastify/swagger takes a $ref's own description otherwise), and a
 * query parameter the server defaults is not required.
 */
export function finishDocument<T>(generated: T, tokenName: string): T {
  const document = documentDomainEnums(generated) as T & { paths?: Record<string, Record<string, OperationObject>> };
  for (const item of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === 'query' && parameter.schema?.default !== undefined) parameter.required = false;
      }
      const codes = operation['x-error-codes'];
      if (!codes || !operation.responses) continue;
      for (const [status, listed] of errorStatusesOf(codes)) {
        const response = operation.responses[String(status)];
        if (!response) continue;
        response.description = errorResponseDescription(status, listed);
        const code = listed[0] as ErrorCode;
        const media = response.content?.['application/json'];
        if (media) media.example = { error: { code, message: errorEntry(code).message, request_id: 'req_01JD8Q3V0G6Y1K2M3N4P5Q6R7S', doc_url: errorDocUrl(code) } };
      }
    }
  }
  addExamples(document as Parameters<typeof addExamples>[0], tokenName);
  return document;
}

/** The public document's sections, in reading order. */
const publicTags = [
  { name: 'Accounts', description: 'The platform account and its connected accounts (`acct_…`).' },
  { name: 'Onboarding', description: 'Identity (KYC for individuals, KYB for businesses), the verification decision, capabilities and where an account can be paid.' },
  { name: 'Wallets', description: "An account's balances per currency and its transaction history." },
  { name: 'Transfers', description: 'Moving funds between the platform and its connected accounts.' },
  { name: 'Payouts', description: 'Paying out to a bank account or a crypto address; the amount is held while the rail decides.' },
  { name: 'FX', description: 'Rates, quotes (a locked rate for a short time) and conversions between the currencies of one wallet.' },
  { name: 'Virtual accounts', description: 'AUD account numbers (BSB + account number) that credit an account when paid.' },
  { name: 'Payment links', description: 'Links a payer opens to pay a fixed or open amount with a reference; their payments.' },
  { name: 'Webhooks', description: 'Endpoints that receive signed events, their secrets and deliveries; the events PIK sends are in the `webhooks` section.' },
  { name: 'Events', description: 'Every change, as an event: list, read, redeliver.' },
  { name: 'Sandbox', description: 'Sandbox keys only: decide a verification, simulate deposits, rail answers and payments.' },
];

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
        operationId: `on${type.split(/[._]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}`,
        summary: type,
        description: `${description}\n\nSent to each enabled endpoint subscribed to \`${type}\` or to \`*\` (unless said otherwise above), signed with its secret (the headers below), and retried until acknowledged — by default after 5 min, 30 min, 2 h, 8 h and 24 h. See docs/webhooks.md.`,
        tags: ['Webhooks'],
        security: [], // sent by PIK, signed: the receiver verifies the signature headers, not a credential
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

/** "GET /api/v1/accounts/:id/wallet/balances" → "getAccountsByIdWalletBalances": stable, unique, derived from the route. */
export function operationIdOf(method: string, url: string): string {
  const words = url
    .replace(/^\/(api|admin)\/v1\//, '')
    .split(/[/_-]/)
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `By${part.slice(1)}` : part));
  return method.toLowerCase() + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

const statusTexts: Record<string, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No content' };

/** "OK: the account in scope." from the route's summary. */
function successDescription(status: string, summary: unknown): string {
  const text = statusTexts[status] ?? `Status ${status}`;
  if (typeof summary !== 'string' || summary === '') return `${text}.`;
  return `${text}: ${summary.charAt(0).toLowerCase()}${summary.slice(1)}.`;
}

const onBehalfOfHeader = {
  type: 'string',
  pattern: '^acct_[0-9A-Za-z]+$',
  maxLength: 100,
  examples: ['acct_01JD8Q3V0G6Y1K2M3N4P5Q6R7S'],
};
const idempotencyKeyHeader = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  pattern: '^[\\x20-\\x7E]+$',
  description: 'Makes the request safe to retry: the first answer is stored for 24 hours and replayed (with `idempotent-replayed: true`) to a retry with the same key and body. 1–255 printable ASCII characters; a UUID is a good choice.',
  examples: ['5f1b7a52-7a1e-4d39-9a3c-0b6d3f2e8c11'],
};
const requestIdHeader = { type: 'string', description: 'The request id (`req_…`), also in every error body.' };

/**
 * States what an operation can answer (src/http/contract.ts): `x-error-codes`, one response per error status naming its
 * codes, the headers it accepts (x-on-behalf-of, Idempotency-Key) and sends (ratelimit-*, Retry-After, x-request-id),
 * and a description on every success. Works on copies: the route's own schema stays what the server validates with.
 */
export const describeContract: SwaggerTransform = ({ schema, url, route }) => {
  if (!schema) return { schema, url };
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const method = methods.find((m) => m !== 'HEAD') ?? 'GET';
  const config = route.config as FastifyContextConfig | undefined;
  const gate = gateOf(url);
  const codes = errorCodesOf(method, url, config);
  const headers = (schema.headers ?? { type: 'object', properties: {} }) as { type: string; properties: Record<string, unknown>; required?: string[] };
  const accepted: Record<string, unknown> = { ...headers.properties };
  if (gate === 'api') {
    accepted['x-on-behalf-of'] = {
      ...onBehalfOfHeader,
      description:
        config?.scope === 'platform'
          ? 'Only the platform itself may call this: leave it out (or name the platform account). A connected account is refused with 403 PLATFORM_SCOPE_REQUIRED.'
          : 'Act for one of your connected accounts (`acct_…`) instead of the platform.',
    };
  }
  if (config?.idempotent) accepted['Idempotency-Key'] = config.idempotent === true ? idempotencyKeyHeader : { ...idempotencyKeyHeader, description: `${idempotencyKeyHeader.description} The body field \`${config.idempotent.bodyField}\` is the same.` };
  const responseHeaders = (status: number): Record<string, unknown> => {
    const sent: Record<string, unknown> = { 'x-request-id': requestIdHeader };
    if (gate === 'api' && status !== 401) Object.assign(sent, rateLimitHeaders);
    if (status === 401) sent['www-authenticate'] = { type: 'string', const: 'Bearer realm="pik"' };
    if (status === 429 || status === 503) sent['retry-after'] = retryAfterHeader;
    if (status < 300 && config?.idempotent) sent['idempotent-replayed'] = { type: 'string', const: 'true', description: 'Present on an answer replayed for a repeated Idempotency-Key.' };
    return sent;
  };
  const responses: Record<string, unknown> = {};
  const declared = (schema.response ?? {}) as Record<string, unknown>;
  for (const [status, response] of Object.entries(declared)) {
    if (Number(status) >= 400) continue; // errors are derived below, from the codes
    // The schema itself, annotated (@fastify/swagger moves these two keys out of it): wrapped in `content`, its shared
    // schemas ($id) would be inlined instead of named in components.schemas.
    responses[status] = { ...(response as object), 'x-response-description': successDescription(status, schema.summary), headers: responseHeaders(Number(status)) };
  }
  for (const [status, listed] of errorStatusesOf(codes)) {
    responses[status] = { $ref: 'ErrorResponse', 'x-response-description': errorResponseDescription(status, listed), headers: responseHeaders(status) };
  }
  return {
    schema: {
      operationId: operationIdOf(method, url),
      ...schema,
      ...(Object.keys(accepted).length > 0 ? { headers: { ...headers, type: 'object', properties: accepted } } : {}),
      response: responses,
      'x-error-codes': codes,
      ...(gate === 'api' && config?.rateLimitGroup ? { 'x-rate-limit-group': config.rateLimitGroup } : {}),
    },
    url,
  };
};

// Shared schemas keep their $id as their name in components.schemas (ErrorResponse, Account, …).
const refResolver = { buildLocalReference: (json: { $id?: unknown }, _baseUri: unknown, _fragment: unknown, i: number) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) };

/**
 * Two documents, each generated from its own routes only. The public one (`app.swagger()`, served at
 * /api/v1/openapi.json and /docs) holds the /api/v1 routes and nothing of the operator API: a route left out is never
 * generated, so no transform of the finished document can forget to remove it. The operator's
 * (`app.operatorSwagger()`) holds the /admin/v1 routes and is served at /admin/v1/openapi.json, behind the token
 * (serveOperatorDocument). Must be registered before the routes.
 */
export async function registerOpenApiDocuments(app: FastifyInstance, publicUrl: string): Promise<void> {
  const servers = [{ url: publicUrl, description: 'This deployment (PIK_PUBLIC_URL)' }];
  await app.register(swagger, {
    refResolver,
    openapi: {
      openapi: '3.1.0',
      servers,
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
      tags: publicTags,
      webhooks: webhookOperations(),
    },
    transform: onlyUnder('/api/v1/', (input) => describeContract({ ...input, ...noteCapabilities(input) })),
    transformObject: (documents) => ('openapiObject' in documents ? finishDocument(documents.openapiObject, 'PIK_API_KEY') : documents.swaggerObject),
  });
  await app.register(swagger, {
    decorator: 'operatorSwagger',
    refResolver,
    openapi: {
      openapi: '3.1.0',
      servers,
      info: {
        title: 'PIK operator API',
        version: '1.0.0',
        description: 'Platform accounts, their API keys and limits, production verification decisions and the rails: for PIK itself.',
      },
      tags: [{ name: 'Operator', description: 'What the operator of a PIK deployment does: platforms, keys, verification decisions, money from and to the rails, FX rates, the audit log.' }],
      components: {
        securitySchemes: {
          operatorToken: { type: 'http', scheme: 'bearer', description: 'The operator token (PIK_OPERATOR_TOKEN, or the operator-token file).' },
        },
      },
    },
    transform: onlyUnder('/admin/v1/', describeContract),
    transformObject: (documents) => ('openapiObject' in documents ? finishDocument(documents.openapiObject, 'PIK_OPERATOR_TOKEN') : documents.swaggerObject),
  });
  // The reference at /docs (src/http/docs-page.ts) and the error catalogue's page at /docs/errors.
  serveDocsPage(app);
  serveErrorReference(app);
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

/** GET /admin/v1/openapi.json, on the operator API's instance, so its token check guards it like any operator route. */
export function serveOperatorDocument(admin: FastifyInstance): void {
  admin.get('/openapi.json', { schema: { hide: true } }, async () => admin.operatorSwagger());
}
