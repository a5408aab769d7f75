// How the OpenAPI document is built from the routes: the capability each route needs comes from the capability
// catalogue, and fields the domain checks itself are listed as enums.
import type { SwaggerTransform } from '@fastify/swagger';
import { capabilitiesOfRoute } from '../lib/capabilities.ts';
import { domainEnumKey } from './schemas.ts';

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
