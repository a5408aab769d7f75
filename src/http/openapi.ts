// How the OpenAPI documents are built from the routes: the public one (/api/v1) and the operator's (/admin/v1), the
// capability each route needs from the capability catalogue, and fields the domain checks itself listed as enums.
import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { capabilitiesOfRoute } from '../lib/capabilities.ts';
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
        description: 'Connected accounts, verification, capabilities, wallets and money movement for platforms.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'A pik_test_… (sandbox) or pik_live_… (production) API key.' },
        },
      },
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
