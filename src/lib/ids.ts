// Prefixed, time-sortable identifiers: one table of prefixes, one generator.
import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

export const idPrefixes = {
  account: 'acct',
  apiKey: 'key',
  user: 'usr',
  transaction: 'txn',
  transfer: 'tr',
  payout: 'po',
  virtualAccount: 'van',
  deposit: 'dep',
  paymentLink: 'pl',
  payment: 'pay',
  unmatchedFunds: 'uf',
  quote: 'qt',
  conversion: 'conv',
  webhookEndpoint: 'we',
  webhookDelivery: 'wd',
  webhookAttempt: 'wa',
  event: 'evt',
  request: 'req',
  session: 'sess',
  auditEntry: 'aud',
} as const;

export type IdKind = keyof typeof idPrefixes;

// Monotonic within a process, so ids minted in the same millisecond still sort in creation order;
// cursor paging relies on that.
// The random part comes from the same CSPRNG as ulid's default (one byte / 256 per character), drawn from a pooled
// buffer: the default asks the OS-backed generator for one byte per character, 16 calls per id minted in a new
// millisecond, which under load cost more than the rest of the id (every request gets one).
const randomPool = new Uint8Array(4096);
let randomPoolNext = randomPool.length;
function pooledRandom(): number {
  if (randomPoolNext >= randomPool.length) {
    randomFillSync(randomPool);
    randomPoolNext = 0;
  }
  return randomPool[randomPoolNext++]! / 256;
}
const nextUlid = monotonicFactory(pooledRandom);

export function newId(kind: IdKind): string {
  return `${idPrefixes[kind]}_${nextUlid().toLowerCase()}`;
}

const ulidBody = '[0-9a-hjkmnp-tv-z]{26}';
const idPatterns = Object.fromEntries(
  Object.entries(idPrefixes).map(([kind, prefix]) => [kind, new RegExp(`^${prefix}_${ulidBody}$`)]),
) as Record<IdKind, RegExp>;

const kindsByPrefix = new Map<string, IdKind>(Object.entries(idPrefixes).map(([kind, prefix]) => [prefix, kind as IdKind]));

/** The kind of an id by its prefix ("tr_…" → "transfer"); undefined for an unknown prefix. Does not check the rest. */
export function idKindOf(value: string): IdKind | undefined {
  return kindsByPrefix.get(value.slice(0, value.indexOf('_')));
}

export function isId(kind: IdKind, value: string): boolean {
  return idPatterns[kind].test(value);
}
