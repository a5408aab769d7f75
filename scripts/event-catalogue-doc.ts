// The event catalogue section of docs/webhooks.md, written from src/domain/event-types.ts so the guide cannot drift
// from the schemas events are recorded with (test/event-catalogue-doc.test.ts compares the two):
//   npx tsx scripts/event-catalogue-doc.ts           prints the section
//   npx tsx scripts/event-catalogue-doc.ts --write   replaces it in docs/webhooks.md, between the markers
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { eventCatalogue, eventTypes } from '../src/domain/event-types.ts';

export const startMarker = '<!-- event-catalogue:start -->';
export const endMarker = '<!-- event-catalogue:end -->';
export const guidePath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/webhooks.md');

/** The plain JSON Schema the catalogue's TypeBox schemas are, as far as this page needs to read them. */
interface JsonSchema {
  type?: string;
  format?: string;
  description?: string;
  enum?: readonly unknown[];
  const?: unknown;
  anyOf?: readonly JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  minLength?: number;
  maxLength?: number;
}

/** The markdown between the markers: an index of the types, then one section per type with a row per data field. */
export function renderEventCatalogue(): string {
  const lines = [
    `<!-- Written by scripts/event-catalogue-doc.ts from src/domain/event-types.ts; edit those, then run it with --write. -->`,
    '',
    eventTypes.map((type) => `[\`${type}\`](#${anchorOf(type)})`).join(' · '),
  ];
  for (const type of eventTypes) {
    const { description, data } = eventCatalogue[type];
    lines.push('', `### \`${type}\``, '', description, '');
    const rows = fieldRows(data as JsonSchema, '');
    // The notes column only where a field of the type has one.
    if (rows.some((row) => row.notes !== '')) {
      lines.push('| `data` field | type | notes |', '|---|---|---|', ...rows.map((r) => `| \`${r.field}\` | ${cell(r.type)} | ${cell(r.notes)} |`));
    } else {
      lines.push('| `data` field | type |', '|---|---|', ...rows.map((r) => `| \`${r.field}\` | ${cell(r.type)} |`));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** GitHub's heading anchor for "### `a_b.c`": lower case, punctuation other than `-` and `_` dropped. */
function anchorOf(type: string): string {
  return type.toLowerCase().replace(/[^a-z0-9_\- ]/g, '').replace(/ /g, '-');
}

interface FieldRow {
  field: string;
  type: string;
  notes: string;
}

/** One row per property, nested objects as `parent.child` rows after their parent's. */
function fieldRows(schema: JsonSchema, prefix: string): FieldRow[] {
  if (schema.type !== 'object' || !schema.properties) throw new Error(`${prefix || 'data'}: expected an object schema with properties`);
  const rows: FieldRow[] = [];
  for (const [name, property] of Object.entries(schema.properties)) {
    const field = `${prefix}${name}`;
    const notes = [property.description, schema.required?.includes(name) ? undefined : 'optional'].filter(Boolean).join('; ');
    rows.push({ field, type: typeOf(property, field), notes });
    if (property.type === 'object' && property.properties) rows.push(...fieldRows(property, `${field}.`));
  }
  return rows;
}

/** "string", "one of `a`, `b`", "date-time string, or null": the type as a reader of the payload needs it. */
function typeOf(schema: JsonSchema, field: string): string {
  if (schema.anyOf) {
    const others = schema.anyOf.filter((s) => s.type !== 'null');
    if (others.length === 1 && others.length < schema.anyOf.length) return `${typeOf(others[0] as JsonSchema, field)}, or null`;
    return schema.anyOf.map((s) => typeOf(s, field)).join(', or ');
  }
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum?.length === 1) return `\`${String(schema.enum[0])}\``;
  if (schema.enum) return `one of ${schema.enum.map((v) => `\`${String(v)}\``).join(', ')}`;
  switch (schema.type) {
    case 'string': {
      if (schema.format === 'date-time') return 'date-time string (ISO 8601, UTC)';
      if (schema.format) return `string (${schema.format})`;
      if (schema.minLength !== undefined && schema.minLength === schema.maxLength) return `string of ${schema.minLength} characters`;
      return 'string';
    }
    case 'array': {
      const item = schema.items ? typeOf(schema.items, `${field}[]`) : 'anything';
      return /^(string|integer|number|boolean|object)$/.test(item) ? `array of ${item}s` : `array; each ${item}`;
    }
    case 'object':
    case 'integer':
    case 'number':
    case 'boolean':
      return schema.type;
    default:
      // A new kind of schema in the catalogue: teach this page to describe it rather than print something vague.
      throw new Error(`${field}: scripts/event-catalogue-doc.ts cannot describe ${JSON.stringify(schema)}`);
  }
}

/** Text safe inside a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** What the guide holds between the markers (without them), or undefined when a marker is missing. */
export function catalogueSectionOf(guide: string): string | undefined {
  const start = guide.indexOf(startMarker);
  const end = guide.indexOf(endMarker);
  if (start === -1 || end < start) return undefined;
  return guide.slice(start + startMarker.length, end).replace(/^\n/, '').replace(/\n\n$/, '\n');
}

function writeGuide(): void {
  const guide = fs.readFileSync(guidePath, 'utf8');
  if (catalogueSectionOf(guide) === undefined) throw new Error(`${guidePath} has no ${startMarker} … ${endMarker} section`);
  const start = guide.indexOf(startMarker) + startMarker.length;
  // A blank line before the end marker ends the last table for every markdown renderer.
  fs.writeFileSync(guidePath, `${guide.slice(0, start)}\n${renderEventCatalogue()}\n${guide.slice(guide.indexOf(endMarker))}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  if (process.argv.includes('--write')) writeGuide();
  else process.stdout.write(renderEventCatalogue());
}
