// Prefixed, time-sortable identifiers: one table of prefixes, one generator.
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
  quote: 'quote',
  conversion: 'conv',
  webhook: 'wh',
  event: 'evt',
  request: 'req',
  session: 'sess',
} as const;

export type IdKind = keyof typeof idPrefixes;

// Monotonic within a process, so ids minted in the same millisecond still sort in creation order;
// cursor paging relies on that.
const nextUlid = monotonicFactory();

export function newId(kind: IdKind): string {
  return `${idPrefixes[kind]}_${nextUlid().toLowerCase()}`;
}

const ulidBody = '[0-9a-hjkmnp-tv-z]{26}';
const idPatterns = Object.fromEntries(
  Object.entries(idPrefixes).map(([kind, prefix]) => [kind, new RegExp(`^${prefix}_${ulidBody}$`)]),
) as Record<IdKind, RegExp>;

export function isId(kind: IdKind, value: string): boolean {
  return idPatterns[kind].test(value);
}
