// API keys in URL text, however the URL spells them: raw, percent-escaped (any case, any number of times over,
// mixed with broken escapes), with "+" for spaces, or with a mangled "pik_" prefix.
import { keyLikePattern, parseApiKey } from './api-key.ts';

/** More layers of percent-encoding than this is no client's doing: the URL is refused rather than decoded further. */
export const maxUrlDecodingPasses = 8;

const escapeOrPlus = /%([0-9A-Fa-f]{2})|\+/g;

/**
 * One pass of tolerant decoding: each valid escape of an ASCII character is decoded on its own and "+" becomes a
 * space; a broken escape ("%", "%zz") or an escape of a non-ASCII byte is left as it is. decodeURIComponent instead
 * throws on the first broken escape anywhere, which is how "?x=%" once hid a key elsewhere in the URL.
 */
function decodeOnce(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  return text.replace(escapeOrPlus, (match, hex: string | undefined) => {
    if (hex === undefined) return ' ';
    const code = Number.parseInt(hex, 16);
    return code < 0x80 ? String.fromCharCode(code) : match;
  });
}

/** The text and each successive decoding of it, until decoding changes nothing (or the pass limit is reached). */
export function decodedForms(text: string): { forms: string[]; isOverEncoded: boolean } {
  const forms = [text];
  let current = text;
  for (let pass = 0; pass < maxUrlDecodingPasses; pass++) {
    const next = decodeOnce(current);
    if (next === current) return { forms, isOverEncoded: false };
    forms.push(next);
    current = next;
  }
  return { forms, isOverEncoded: decodeOnce(current) !== current };
}

// The part of a key after "pik_": its checksum covers the prefix, so a body that checks out is a real key even when
// "pik_" itself was spelled in a way no decoder here reads (an overlong UTF-8 escape, "%u0070", a stray byte).
const keyBodyPattern = /(?:test|live)_[0-9A-Za-z]{38}/g;

/** The keys (and key-shaped strings) in any form of `text`; `isOverEncoded` when it could not be decoded to the end. */
export function findKeysInUrlText(text: string): { keys: string[]; isOverEncoded: boolean } {
  const { forms, isOverEncoded } = decodedForms(text);
  const keys = new Set<string>();
  for (const form of forms) {
    if (!form.includes('test_') && !form.includes('live_')) continue;
    for (const match of form.matchAll(keyLikePattern)) keys.add(match[0]);
    for (const match of form.matchAll(keyBodyPattern)) {
      const candidate = `pik_${match[0]}`;
      if (parseApiKey(candidate).ok) keys.add(candidate);
    }
  }
  return { keys: [...keys], isOverEncoded };
}

/**
 * False when no form of `text` can hold a key: no escape, no '+', no key prefix. The usual URL is answered by this,
 * without decoding or allocating anything — it runs on every request.
 */
export function mayHoldKeyText(text: string): boolean {
  return text.includes('%') || text.includes('+') || text.includes('test_') || text.includes('live_');
}

/** Whether any form of `text` holds something shaped like a key, or cannot be decoded to the end. */
export function hasKeyInUrlText(text: string): boolean {
  if (!mayHoldKeyText(text)) return false;
  const { keys, isOverEncoded } = findKeysInUrlText(text);
  return keys.length > 0 || isOverEncoded;
}

/** The names of the query parameters of `rawUrl`, each in every decoded form, lower-cased. */
export function queryParameterNames(rawUrl: string): string[] {
  const queryStart = rawUrl.indexOf('?');
  if (queryStart < 0) return [];
  const names: string[] = [];
  for (const pair of rawUrl.slice(queryStart + 1).split('&')) {
    const equals = pair.indexOf('=');
    for (const form of decodedForms(equals < 0 ? pair : pair.slice(0, equals)).forms) names.push(form.toLowerCase());
  }
  return names;
}
