// Examples for the OpenAPI documents: every request body and response gets one, built from its schema (a field's own
// `examples` first, then its const, enum, default, format or type), and every operation curl and TypeScript samples
// made from them. Built from the schemas, so an example cannot drift from what it illustrates; the walking test
// (test/openapi-walk.test.ts) validates every request example against its schema.

import { idPrefixes } from '../lib/ids.ts';

type Schema = Record<string, unknown>;
type Components = Record<string, Schema>;

const formatExamples: Record<string, unknown> = {
  'date-time': '2026-01-02T03:04:05.000Z',
  date: '1990-04-12',
  email: 'ada@example.com',
  uri: 'https://example.com/return',
  uuid: '5f1b7a52-7a1e-4d39-9a3c-0b6d3f2e8c11',
};

/** "payment_link" → "pl", from the id table (src/lib/ids.ts), for objects and for fields named `<kind>_id`. */
function prefixOf(kind: string): string | undefined {
  const camel = kind.replace(/_([a-z])/g, (_m, letter: string) => letter.toUpperCase());
  return (idPrefixes as Record<string, string>)[camel] ?? (kind === 'endpoint' ? idPrefixes.webhookEndpoint : undefined);
}

/** A plausible id: `acct_…` for "destination_account_id", the object's own prefix for its "id". */
function idExample(name: string, objectKind?: string): string | undefined {
  const kind = name === 'id' ? objectKind : name.endsWith('_id') ? name.slice(0, -3).split('_').slice(-2).join('_') : undefined;
  if (kind === undefined) return undefined;
  const prefix = prefixOf(kind) ?? prefixOf(kind.split('_').at(-1) ?? kind) ?? kind.split('_').at(-1);
  return `${prefix}_01jd8q3v0g6y1k2m3n4p5q6r7s`;
}

/** An example value for `schema`, or undefined when nothing sensible can be said (an open `{}`). */
export function exampleOf(schema: unknown, components: Components, name = '', depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 12) return undefined;
  const s = schema as Schema;
  if (typeof s.$ref === 'string') {
    const target = components[s.$ref.replace('#/components/schemas/', '')];
    return exampleOf(target, components, name, depth + 1);
  }
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (s.example !== undefined) return s.example;
  if (s.const !== undefined) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum.find((v) => v !== null) ?? s.enum[0];
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.allOf)) {
    const parts = s.allOf.map((part) => exampleOf(part, components, name, depth + 1));
    if (parts.every((part) => typeof part === 'object' && part !== null && !Array.isArray(part))) return Object.assign({}, ...parts);
    return parts.find((part) => part !== undefined);
  }
  for (const key of ['oneOf', 'anyOf'] as const) {
    const branches = s[key];
    if (Array.isArray(branches)) {
      const branch = branches.find((b) => (b as Schema).type !== 'null') ?? branches[0];
      // Sibling keywords (an object's properties next to its oneOf) still apply.
      const { [key]: _dropped, discriminator: _d, ...rest } = s;
      const merged = Object.keys(rest).length > 0 ? exampleOf(rest, components, name, depth + 1) : undefined;
      const chosen = exampleOf(branch, components, name, depth + 1);
      if (merged && typeof merged === 'object' && chosen && typeof chosen === 'object') return { ...merged, ...chosen };
      return chosen ?? merged;
    }
  }
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, Schema>;
      const out: Record<string, unknown> = {};
      const kind = exampleOf(properties.object, components, 'object', depth + 1);
      for (const [key, property] of Object.entries(properties)) {
        const own = key === 'id' && typeof kind === 'string' ? idExample('id', kind) : undefined;
        const value = own ?? exampleOf(property, components, key, depth + 1);
        if (value !== undefined) out[key] = value;
        else if ((s.required as string[] | undefined)?.includes(key)) out[key] = 'example';
      }
      return out;
    }
    case 'array': {
      const item = exampleOf(s.items, components, name, depth + 1);
      return item === undefined ? [] : [item];
    }
    case 'string': {
      if (typeof s.format === 'string' && formatExamples[s.format] !== undefined) return formatExamples[s.format];
      return idExample(name) ?? 'example';
    }
    case 'integer':
      return typeof s.minimum === 'number' ? s.minimum : 1;
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 1.5;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      // A field the domain checks with only a description ({}): a string reads best.
      return typeof s.description === 'string' ? 'example' : undefined;
  }
}

interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema; example?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema; example?: unknown }> }>;
  security?: Record<string, unknown>[];
  'x-codeSamples'?: { lang: string; label: string; source: string }[];
}

/** curl and TypeScript (fetch) samples for one operation, from its example body and required parameters. */
function samplesOf(method: string, path: string, operation: Operation, components: Components, baseUrl: string, tokenName: string) {
  let url = path;
  const query: string[] = [];
  const headers: [string, string][] = [['Authorization', `Bearer $${tokenName}`]];
  for (const parameter of operation.parameters ?? []) {
    const value = exampleOf(parameter.schema, components, parameter.name);
    if (parameter.in === 'path') url = url.replace(`{${parameter.name}}`, String(value ?? parameter.name));
    else if (parameter.in === 'query' && parameter.required) query.push(`${parameter.name}=${encodeURIComponent(String(value))}`);
    else if (parameter.in === 'header' && parameter.name === 'Idempotency-Key') headers.push(['Idempotency-Key', String(value)]);
  }
  const full = `${baseUrl}${url}${query.length > 0 ? `?${query.join('&')}` : ''}`;
  const body = operation.requestBody?.content?.['application/json']?.example;
  if (body !== undefined) headers.push(['Content-Type', 'application/json']);
  const json = body === undefined ? undefined : JSON.stringify(body, null, 2);
  const curl = [
    `curl -X ${method} '${full}'`,
    ...headers.map(([h, v]) => `  -H "${h}: ${v}"`),
    ...(json === undefined ? [] : [`  -d '${json.replace(/'/g, "'\\''")}'`]),
  ].join(' \\\n');
  const tsHeaders = headers.map(([h, v]) => `    '${h}': ${h === 'Authorization' ? `\`Bearer \${process.env.${tokenName}}\`` : `'${v}'`},`).join('\n');
  const typescript = [
    `const response = await fetch('${full}', {`,
    `  method: '${method}',`,
    `  headers: {\n${tsHeaders}\n  },`,
    ...(json === undefined ? [] : [`  body: JSON.stringify(${json.replace(/\n/g, '\n  ')}),`]),
    '});',
    'const body = await response.json();',
    'if (!response.ok) throw new Error(`${body.error.code}: ${body.error.message} (${body.error.doc_url})`);',
  ].join('\n');
  return [
    { lang: 'Shell', label: 'curl', source: curl },
    { lang: 'TypeScript', label: 'TypeScript (fetch)', source: typescript },
  ];
}

/** Adds `example` to every JSON request body and response lacking one, and curl/TypeScript samples to every operation. */
export function addExamples(document: { paths?: Record<string, Record<string, Operation>>; components?: { schemas?: Components }; servers?: { url: string }[] }, tokenName: string): void {
  const components = document.components?.schemas ?? {};
  const baseUrl = document.servers?.[0]?.url ?? '';
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      const media = operation.requestBody?.content?.['application/json'];
      if (media && media.example === undefined) media.example = exampleOf(media.schema, components);
      for (const response of Object.values(operation.responses ?? {})) {
        const content = response.content?.['application/json'];
        if (content && content.example === undefined) content.example = exampleOf(content.schema, components);
      }
      operation['x-codeSamples'] ??= samplesOf(method.toUpperCase(), path, operation, components, baseUrl, tokenName);
    }
  }
}
