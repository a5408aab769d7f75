// Idempotency-Key records (spec §2): claim a key before running a request, then record the answer — with the change,
// in the request's own commit — for replay. Scoped to an owner in one environment — an API key's platform, or the
// operator — and kept 24 hours.
// Answers are stored sealed (src/lib/sealed.ts), bound to their key: a KYC/KYB answer repeats the identity submitted.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { statementsFor } from '../../db/statements.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { randomBase62 } from '../../lib/base62.ts';
import type { Scope } from '../../lib/actor.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../../lib/errors.ts';
import type { DataKeyring } from '../../lib/sealed.ts';
import { idempotencyResponseContext } from '../../db/sealed-columns.ts';

export const idempotencyTtlMs = 24 * 3600 * 1000;

const keyPattern = /^[\x21-\x7e]{1,255}$/;

export function parseIdempotencyKey(value: unknown): string {
  if (typeof value !== 'string' || !keyPattern.test(value)) throw new ApiError('INVALID_IDEMPOTENCY_KEY', undefined, { field: 'Idempotency-Key' });
  return value;
}

/** Text to emit as it is, queued between the values still to render. */
class Literal {
  constructor(readonly text: string) {}
}

/**
 * Key order does not matter ({"a":1,"b":2} is the same request as {"b":2,"a":1}). Iterative, with its own stack: a
 * body nested thousands deep must not exhaust the call stack (the JSON parser bounds depth too; this does not rely on
 * it). Its output must never change: hashes stored for keys still in flight are compared against it after a deploy.
 */
function canonical(root: unknown): string {
  let out = '';
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value instanceof Literal) {
      out += value.text;
    } else if (Array.isArray(value)) {
      out += '[';
      pending.push(new Literal(']'));
      for (let i = value.length - 1; i >= 0; i--) {
        pending.push(value[i]);
        if (i > 0) pending.push(new Literal(','));
      }
    } else if (value !== null && typeof value === 'object') {
      out += '{';
      pending.push(new Literal('}'));
      const keys = Object.keys(value).sort();
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        pending.push((value as Record<string, unknown>)[key], new Literal(`${JSON.stringify(key)}:`));
        if (i > 0) pending.push(new Literal(','));
      }
    } else {
      out += JSON.stringify(value) ?? 'null';
    }
  }
  return out;
}

export function hashRequest(parts: { method: string; path: string; accountId: string; body: unknown }): string {
  return createHash('sha256').update(`${parts.method} ${parts.path} ${parts.accountId}\n${canonical(parts.body ?? null)}`).digest('hex');
}

/**
 * Whose keys a key is looked up among, and in which environment's schema the record lives (next to the change it
 * guards, so both commit together). `platformId` is the column's name; for the operator it holds `operator`, which no
 * platform id (acct_…) can equal.
 */
export interface IdempotencyOwner {
  environment: Scope['environment'];
  platformId: string;
}

export const operatorIdempotencyOwnerId = 'operator';

export interface Claim {
  environment: Scope['environment'];
  platformId: string;
  key: string;
  token: string;
}

export type ClaimOutcome = { kind: 'proceed'; claim: Claim } | { kind: 'replay'; status: number; body: string };

export async function claimIdempotencyKey(deps: Deps, owner: IdempotencyOwner, key: string, requestHash: string): Promise<ClaimOutcome> {
  const table = sql.table(`${owner.environment}.idempotency_keys`);
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = deps.now();
    const token = randomBase62(22);
    // One statement decides who runs: a new key, an expired record, or a claim whose lease lapsed (its request died,
    // or outlived PIK_IDEMPOTENCY_LOCK_SECONDS: see ClaimLeases) is taken over;
    // of two concurrent first uses exactly one gets its token back.
    const taken = await sql<{ claim_token: string }>`
      insert into ${table} as k (platform_id, key, request_hash, claim_token, locked_until, created_at, expires_at)
      values (${owner.platformId}, ${key}, ${requestHash}, ${token}, ${firstLeaseEnd(deps, now)}, ${now}, ${new Date(now.getTime() + idempotencyTtlMs)})
      on conflict (platform_id, key) do update set
        request_hash = excluded.request_hash, claim_token = excluded.claim_token, locked_until = excluded.locked_until,
        created_at = excluded.created_at, expires_at = excluded.expires_at,
        committed_at = null, response_status = null, response_body = null
      where k.expires_at <= ${now} or (k.committed_at is null and k.response_status is null and k.locked_until <= ${now})
      returning claim_token
    `.execute(deps.db.core);
    const claim: Claim = { environment: owner.environment, platformId: owner.platformId, key, token };
    if (taken.rows[0]?.claim_token === token) return { kind: 'proceed', claim };

    const existing = await deps.db
      .env(owner.environment)
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('platform_id', '=', owner.platformId)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!existing) continue; // released between our insert and our read: try again
    if (existing.request_hash !== requestHash) throw new ApiError('IDEMPOTENCY_KEY_REUSED', undefined, { idempotency_key: key });
    if (existing.response_status !== null && existing.response_body !== null) {
      const body = deps.dataKeys.open(existing.response_body, idempotencyResponseContext(owner.environment, owner.platformId, key));
      return { kind: 'replay', status: existing.response_status, body };
    }
    // While the claim is held: retry once its lease would lapse (at most PIK_IDEMPOTENCY_LEASE_SECONDS away).
    const retryAfterSeconds = existing.committed_at ? undefined : Math.max(1, Math.ceil((new Date(existing.locked_until).getTime() - now.getTime()) / 1000));
    throw new ApiError(
      'IDEMPOTENCY_KEY_IN_USE',
      // Only records written before answers were stored with their change can be applied without an answer.
      existing.committed_at
        ? 'The first request with this Idempotency-Key was applied but its response was not recorded (the server stopped); look the result up instead of retrying.'
        : undefined,
      { idempotency_key: key, applied: existing.committed_at !== null },
      { retryAfterSeconds },
    );
  }
  throw new ApiError('IDEMPOTENCY_KEY_IN_USE', undefined, { idempotency_key: key });
}

/**
 * A claim's lease: it lapses this soon after it is taken unless renewed (ClaimLeases renews the claims of requests still
 * running), and never later than PIK_IDEMPOTENCY_LOCK_SECONDS after it was taken.
 */
function firstLeaseEnd(deps: Deps, now: Date): Date {
  return new Date(now.getTime() + Math.min(deps.config.idempotencyLeaseMs, deps.config.idempotencyClaimTtlMs));
}

/**
 * Extends the leases of claims whose requests are still running in this process, in one statement per environment:
 * to `now + PIK_IDEMPOTENCY_LEASE_SECONDS`, capped at the claim's start plus PIK_IDEMPOTENCY_LOCK_SECONDS. A claim
 * already answered, or taken over by a retry (its token changed), is left alone. Returns how many were extended.
 */
export async function renewIdempotencyClaims(deps: Deps, environment: Scope['environment'], claims: readonly Claim[]): Promise<number> {
  if (claims.length === 0) return 0;
  const now = deps.now();
  const table = sql.table(`${environment}.idempotency_keys`);
  const result = await sql`
    update ${table} as k
    set locked_until = least(${new Date(now.getTime() + deps.config.idempotencyLeaseMs)}::timestamptz, k.created_at + ${deps.config.idempotencyClaimTtlMs} * interval '1 millisecond')
    from unnest(${claims.map((c) => c.platformId)}::text[], ${claims.map((c) => c.key)}::text[], ${claims.map((c) => c.token)}::text[]) as c(platform_id, key, token)
    where k.platform_id = c.platform_id and k.key = c.key and k.claim_token = c.token
      and k.committed_at is null and k.response_status is null and k.locked_until > ${now}
  `.execute(deps.db.core);
  return Number(result.numAffectedRows ?? 0);
}

function sealAnswer(dataKeys: DataKeyring, claim: Claim, body: string): string {
  return dataKeys.seal(body, idempotencyResponseContext(claim.environment, claim.platformId, claim.key));
}

/**
 * Inside the unit of work that made the change: the key is marked applied and its exact answer stored in the same
 * commit, so a retry after a crash replays the answer byte for byte. Guarded by the claim token: if a retry took the
 * claim over meanwhile (this request outlived idempotencyClaimTtlMs), this fails and the change rolls back, so at
 * most one of them applies.
 */
export function recordIdempotentResponse(dataKeys: DataKeyring, work: UnitOfWork, claim: Claim, response: { status: number; body: string }, now: Date): void {
  work.write({
    statement: statementsFor(claim.environment)
      .updateTable('idempotency_keys')
      .set({ committed_at: now, response_status: response.status, response_body: sealAnswer(dataKeys, claim, response.body) })
      .where('platform_id', '=', claim.platformId)
      .where('key', '=', claim.key)
      .where('claim_token', '=', claim.token)
      .returning('key'),
    // The claim is no longer ours (it expired and another request took the key): the change must not commit.
    expectRows: { count: 1, otherwise: () => new ApiError('IDEMPOTENCY_KEY_IN_USE', undefined, { idempotency_key: claim.key }) },
  });
}

/** An error answer (a 4xx) changed nothing, so it needs no transaction: it is stored on its own for replay. */
export async function storeIdempotentErrorResponse(deps: Deps, claim: Claim, status: number, body: string): Promise<void> {
  await deps.db
    .env(claim.environment)
    .updateTable('idempotency_keys')
    .set({ response_status: status, response_body: sealAnswer(deps.dataKeys, claim, body) })
    .where('platform_id', '=', claim.platformId)
    .where('key', '=', claim.key)
    .where('claim_token', '=', claim.token)
    .execute();
}

/** The request failed on our side before applying anything: free the key so a retry runs the request afresh. */
export async function releaseIdempotencyKey(deps: Deps, claim: Claim): Promise<void> {
  await deps.db
    .env(claim.environment)
    .deleteFrom('idempotency_keys')
    .where('platform_id', '=', claim.platformId)
    .where('key', '=', claim.key)
    .where('claim_token', '=', claim.token)
    .where('committed_at', 'is', null)
    .execute();
}

/** Housekeeping: records past their 24 hours. */
export async function deleteExpiredIdempotencyKeys(deps: Deps, environment: Scope['environment']): Promise<number> {
  const result = await deps.db.env(environment).deleteFrom('idempotency_keys').where('expires_at', '<', deps.now()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
