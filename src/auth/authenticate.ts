// Bearer-key authentication and x-on-behalf-of scoping, returning outcomes as values (the HTTP layer turns them into errors).
import type { Environment } from '../lib/environments.ts';
import type { Principal, Scope } from '../lib/actor.ts';
import type { AccountDirectory } from '../db/account-directory.ts';
import type { AccountRow } from '../db/schema.ts';
import type { ErrorCode } from '../lib/errors.ts';
import { isId } from '../lib/ids.ts';
import { hashApiKey, parseApiKey } from '../lib/api-key.ts';
import type { ApiKeyCache, KeyRecord } from './key-cache.ts';

export interface Failure {
  ok: false;
  code: ErrorCode;
  detail?: Record<string, unknown>;
}
export type Outcome<T> = { ok: true; value: T } | Failure;

/**
 * A well-formed key that is not in the cache: refused as INVALID_API_KEY unless the caller chooses to spend a query on
 * it (lookUpKey). A caller that ignores lookupHash therefore refuses it, never lets it through.
 */
export interface PendingLookup extends Failure {
  code: 'INVALID_API_KEY';
  lookupHash: string;
}

const fail = (code: ErrorCode, detail?: Record<string, unknown>): Failure => (detail ? { ok: false, code, detail } : { ok: false, code });
const bearerPattern = /^bearer +([^\s]+) *$/i;

/** The token of an `Authorization: Bearer <token>` header (scheme word in any case), or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return bearerPattern.exec((authorization ?? '').trim())?.[1];
}

/**
 * The last accepted Authorization value of one connection and its key's hash. A client on a kept-alive connection
 * sends the same header with every request; with the memo it is not parsed and hashed again. The key cache is still
 * consulted on every request, so a deleted key fails on the next request exactly as without the memo.
 */
export interface BearerMemo {
  authorization: string;
  hash: string;
}

const bearerMemoKey = Symbol('pik.bearerMemo');
const scopeMemoKey = Symbol('pik.scopeMemo');

/** Where a connection keeps its memos (the socket, or any object that lives as long as the connection). */
export interface ConnectionMemos {
  [bearerMemoKey]?: BearerMemo;
  [scopeMemoKey]?: ScopeMemo;
}

/**
 * Synchronous, and costs no query: the answer from the cache, or a PendingLookup when the key must be loaded, which
 * the caller may do with lookUpKey (the HTTP layer first asks the failed-authentication limit). The hash is looked up
 * before the format and checksum are checked: only keys that passed that check are ever loaded into the cache, so a
 * hit is a well-formed key, and a miss is checked first. With a `holder`, an accepted key's header and hash are
 * remembered on it, and used while the header repeats.
 */
export function authenticateBearer(
  cache: ApiKeyCache,
  servedEnvironments: readonly Environment[],
  authorization: string | undefined,
  holder?: ConnectionMemos,
): Outcome<Principal> | PendingLookup {
  const memo = holder?.[bearerMemoKey];
  if (memo !== undefined && authorization === memo.authorization) {
    const hit = cache.cached(memo.hash);
    if (hit) return principalOf(cache, hit, servedEnvironments);
  }
  if (authorization === undefined || authorization.trim() === '') return fail('API_KEY_MISSING');
  const token = bearerToken(authorization);
  if (token === undefined) return fail('AUTHORIZATION_MALFORMED');
  const hash = hashApiKey(token);
  const hit = cache.cached(hash);
  if (hit !== undefined) {
    if (hit && holder) holder[bearerMemoKey] = { authorization, hash };
    return principalOf(cache, hit, servedEnvironments);
  }
  if (!parseApiKey(token).ok) return fail('INVALID_API_KEY');
  return { ok: false, code: 'INVALID_API_KEY', lookupHash: hash };
}

/** The second half of authenticateBearer for a PendingLookup: one query, whose answer the cache keeps. */
export function lookUpKey(cache: ApiKeyCache, servedEnvironments: readonly Environment[], keyHash: string): Promise<Outcome<Principal>> {
  return cache.load(keyHash).then((record) => principalOf(cache, record, servedEnvironments));
}

/**
 * Expiry is decided here, against the cache's instant clock, on every request: a key whose time has come is refused
 * by every process at that instant, with no database round trip. A key without an expiry does not read the clock.
 */
function principalOf(cache: ApiKeyCache, record: KeyRecord | null, servedEnvironments: readonly Environment[]): Outcome<Principal> {
  if (!record) return fail('INVALID_API_KEY');
  if (record.isRevoked) return fail('API_KEY_REVOKED');
  if (record.expiresAtMs !== null && cache.instant() >= record.expiresAtMs) return fail('API_KEY_EXPIRED', { expired_at: new Date(record.expiresAtMs).toISOString() });
  if (!servedEnvironments.includes(record.environment)) return fail('API_KEY_ENVIRONMENT_MISMATCH');
  return { ok: true, value: { platformId: record.platformId, environment: record.environment, keyId: record.keyId, permissions: record.permissions, allowlist: record.allowlist } };
}

/**
 * The account named by an x-on-behalf-of header as Node delivers it (a repeated header arrives joined with ", "):
 * undefined when the header is absent, null when it is empty or repeated (INVALID_ON_BEHALF_OF), otherwise the
 * trimmed value, still to be checked as an account id. The common cases (absent, one plain value) allocate nothing.
 */
export function onBehalfOfValue(header: string | string[] | undefined): string | null | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || header.includes(',')) return null;
  const value = header.trim();
  return value === '' ? null : value;
}

/**
 * The last connected-account scope a connection resolved: a client acting for one account repeats the same
 * x-on-behalf-of with every request. It is used only while the same key names the same account and the directory
 * still holds the very row it was resolved from (a change to the account replaces or drops that row).
 */
interface ScopeMemo {
  keyId: string;
  accountId: string;
  account: AccountRow;
  outcome: Outcome<Scope>;
}

/**
 * `named` is onBehalfOfValue() of the request's header.
 * Unknown ids, another platform's accounts and the other environment's accounts are all ACCOUNT_NOT_FOUND:
 * the answer must not reveal that an id exists somewhere else.
 */
export function resolveScope(
  directory: AccountDirectory,
  principal: Principal,
  named: string | null | undefined,
  holder?: ConnectionMemos,
): Outcome<Scope> | Promise<Outcome<Scope>> {
  // Scopes are built field by field rather than by spreading the principal: one object shape, no slow-path property definitions.
  if (named === undefined) return { ok: true, value: scopeOf(principal, principal.platformId, true, false) };
  const memo = holder?.[scopeMemoKey];
  if (memo !== undefined && named === memo.accountId && principal.keyId === memo.keyId && directory.cached(principal.environment, memo.accountId) === memo.account) {
    return memo.outcome;
  }
  if (named === null || !isId('account', named)) return fail('INVALID_ON_BEHALF_OF');
  if (named === principal.platformId) return { ok: true, value: scopeOf(principal, principal.platformId, true, true) };
  // Synchronous on a directory hit, like authenticateBearer.
  const cached = directory.cached(principal.environment, named);
  if (cached !== undefined) {
    const outcome = connectedScope(principal, named, cached);
    // Frozen, as the memo hands the same scope to each of the connection's requests.
    if (outcome.ok && holder) holder[scopeMemoKey] = { keyId: principal.keyId, accountId: named, account: cached, outcome: Object.freeze({ ok: true, value: Object.freeze(outcome.value) }) };
    return outcome;
  }
  return directory.get(principal.environment, named).then((account) => connectedScope(principal, named, account));
}

function connectedScope(principal: Principal, accountId: string, account: AccountRow | undefined): Outcome<Scope> {
  if (!account || account.platform_id !== principal.platformId || account.type !== 'connected') {
    return fail('ACCOUNT_NOT_FOUND', { account_id: accountId });
  }
  return { ok: true, value: scopeOf(principal, accountId, false, true) };
}

function scopeOf(principal: Principal, accountId: string, isPlatformScope: boolean, viaOnBehalfOf: boolean): Scope {
  return { platformId: principal.platformId, environment: principal.environment, keyId: principal.keyId, accountId, isPlatformScope, viaOnBehalfOf };
}
