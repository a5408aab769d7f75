// The API key format: pik_test_/pik_live_ + 32 random base62 + 6-char base62 CRC32 of everything before it.
import { hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { Environment } from './environments.ts';
import { encodeBase62, randomBase62 } from './base62.ts';

const prefixes: Record<Environment, string> = { sandbox: 'pik_test_', production: 'pik_live_' };
const keyPattern = /^pik_(test|live)_([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/;
/** Anything shaped like a PIK key, used to redact logs and to spot keys in URLs. */
export const keyLikePattern = /pik_(?:test|live)_[0-9A-Za-z]+/g;

function checksum(body: string): string {
  return encodeBase62(crc32(body), 6);
}

export interface GeneratedKey {
  secret: string;
  hash: string;
  hint: string;
}

export function generateApiKey(environment: Environment): GeneratedKey {
  const body = prefixes[environment] + randomBase62(32);
  const secret = body + checksum(body);
  return { secret, hash: hashApiKey(secret), hint: hintOf(secret) };
}

/** SHA-256 is enough here: the key has 190 bits of entropy, so there is nothing to brute-force that a slow hash would protect. */
// One-shot crypto.hash: same digest as createHash().update().digest(), without a Hash object per call (it runs on every request).
export function hashApiKey(secret: string): string {
  return hash('sha256', secret, 'hex');
}

export function hintOf(secret: string): string {
  return `${secret.slice(0, 9)}…${secret.slice(-4)}`;
}

export type ParsedKey = { ok: true; environment: Environment } | { ok: false };

/** Format and checksum only — no lookup. A typo or a truncated paste fails here, without touching the database. */
export function parseApiKey(token: string): ParsedKey {
  const match = keyPattern.exec(token);
  if (!match) return { ok: false };
  const body = token.slice(0, -6);
  if (checksum(body) !== match[3]) return { ok: false };
  return { ok: true, environment: match[1] === 'live' ? 'production' : 'sandbox' };
}
