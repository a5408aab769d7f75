// Metadata: a client's own key–value strings on an object (accounts, transfers, payouts, webhook endpoints, payment
// links). Sizes count Unicode code points, as the OpenAPI document's maxLength does, so an emoji is one character.
import { invalidField } from './errors.ts';
import { codePointLength } from './text.ts';

export const metadataLimits = { maxKeys: 20, maxKeyLength: 40, maxValueLength: 500 } as const;

export type Metadata = Record<string, string>;

// NUL and lone surrogates cannot be stored in jsonb; other control characters have no place in a key.
// eslint-disable-next-line no-control-regex
const unstorable = /[\u0000]|\p{Cs}/u;
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f]/;

function checkEntry(key: string, value: unknown): void {
  const field = `metadata.${key}`;
  if (codePointLength(key) === 0 || codePointLength(key) > metadataLimits.maxKeyLength || unstorable.test(key) || controlCharacters.test(key)) {
    throw invalidField(field, `metadata key "${key}" must be 1 to ${metadataLimits.maxKeyLength} characters, without control characters.`);
  }
  if (typeof value !== 'string') throw invalidField(field, `metadata value of "${key}" must be a string.`);
  if (codePointLength(value) > metadataLimits.maxValueLength || unstorable.test(value)) {
    throw invalidField(field, `metadata value of "${key}" must be at most ${metadataLimits.maxValueLength} characters.`);
  }
}

function checkKeyCount(metadata: Metadata): void {
  if (Object.keys(metadata).length > metadataLimits.maxKeys) {
    throw invalidField('metadata', `metadata may hold at most ${metadataLimits.maxKeys} keys; it would hold ${Object.keys(metadata).length}.`);
  }
}

function asObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidField('metadata', 'metadata must be an object of string values, e.g. {"order_id": "6735"}.');
  }
  return value as Record<string, unknown>;
}

/** Metadata given when an object is created: absent or null means none. */
export function parseMetadata(value: unknown): Metadata | null {
  if (value === undefined || value === null) return null;
  const entries = Object.entries(asObject(value));
  for (const [key, v] of entries) checkEntry(key, v);
  const metadata: Metadata = Object.fromEntries(entries) as Metadata;
  checkKeyCount(metadata);
  return entries.length === 0 ? null : metadata;
}

/**
 * Metadata given in an update, merged into what the object has (as Stripe does): a key with a string sets it, a key
 * with null removes it, keys not named stay; `metadata: null` removes every key. The result must still fit the limits.
 */
export function mergeMetadata(current: Metadata | null, update: unknown): Metadata | null {
  if (update === null) return null;
  // A Map, not an object: a key named "__proto__" is then a key like any other, never the object's prototype.
  const merged = new Map(Object.entries(current ?? {}));
  for (const [key, value] of Object.entries(asObject(update))) {
    if (value === null) {
      merged.delete(key);
      continue;
    }
    checkEntry(key, value);
    merged.set(key, value as string);
  }
  const metadata = Object.fromEntries(merged) as Metadata;
  checkKeyCount(metadata);
  return merged.size === 0 ? null : metadata;
}
