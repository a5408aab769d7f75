// Per-key, per-group request limits over fixed one-minute windows, shared by every server process (Redis or
// PostgreSQL), with the ratelimit-* headers on every response.
import type { FastifyReply } from 'fastify';
import type { Principal } from '../lib/actor.ts';
import { ApiError } from '../lib/errors.ts';
import { getPlatformRateLimits } from '../domain/platforms/rate-limits.ts';
import type { SharedCounter } from '../db/shared-counters.ts';
import type { RateLimitGroup, RateLimits } from '../lib/rate-limit-groups.ts';
import type { Services } from '../services.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which limit the route counts against; default 'general'. */
    rateLimitGroup?: RateLimitGroup;
  }
}

const windowMs = 60_000;
/** A reservation asks for the requests this process expects in the next quarter second (see RateLimiter). */
const reservationLeadMs = 250;
/** A reservation holds at most this share of a limit, so an idle process cannot sit on much of a busy key's budget. */
const maxReservationShare = 0.1;
/** A store that has not answered a reservation by then is treated as down for it (fail open, see RateLimiter). */
const storeTimeoutMs = 1000;
/** At most one log line per this long while the store fails. */
const storeErrorLogEveryMs = 60_000;

export interface RateDecision {
  limit: number;
  remaining: number;
  resetSeconds: number;
  allowed: boolean;
}

/** One key's budget in one group for the current window, as this process sees it. */
interface Budget {
  /** The limit it was counted against: the operator may change it mid-window, which reopens an exhausted budget. */
  limit: number;
  /** Requests this process admitted in the window. */
  used: number;
  /** Slots reserved from the shared budget and not used yet. */
  granted: number;
  /** The shared counter's total after this process's latest reservation (every process's reservations). */
  reservedTotal: number;
  /** The shared budget is spent: the last reservation got less than it asked for. */
  isExhausted: boolean;
  reserving: Promise<void> | undefined;
  /** The size of the latest reservation; the next one starts once fewer than half of it are left. */
  lastReservation: number;
  /** Requests waiting for a reservation to answer. */
  waiting: number;
}

/**
 * Without a shared store (the embedded database: one process), each request is counted in memory, exactly.
 *
 * With one (PostgreSQL or Redis, src/db/shared-counters.ts), a process does not ask the store per request. It reserves
 * slots of the key's budget in blocks — an atomic add to the window's shared counter that answers the total — and
 * admits requests from its block in memory. The block is what the process expects to need in the next 250 ms (its
 * rate in this window or the last), plus the requests waiting, at least 1 and at most a tenth of the limit; the next
 * reservation starts in the background when half of the block is used, so under steady traffic no request waits for
 * the store. A reservation that finds the counter past the limit gets only what was left below it: the slots granted
 * to all processes together never exceed the limit, so the limit is never exceeded. What the approximation costs is
 * the other way: slots reserved by a process that then gets no more requests are lost for the window — at most one
 * block per process and key (a tenth of the limit at most, and 1 at low rates).
 *
 * When the store fails or does not answer within a second, the reservation is counted in this process's memory instead
 * (fails open to per-process limits, logged once a minute, never a 500): N processes then allow up to N times the
 * limit until the store answers again.
 */
export class RateLimiter {
  private windowStart = 0;
  private budgets = new Map<string, Budget>();
  /** Requests admitted per key and group in the previous window: the rate a new window's first reservation is sized by. */
  private previousUse = new Map<string, number>();
  /** Per-process counts while the store fails (and always without one). */
  private localTotals = new Map<string, number>();
  private readonly limitsByPlatform = new Map<string, RateLimits>();
  private lastStoreErrorLoggedAt = -Infinity;

  constructor(
    private readonly services: Pick<Services, 'invalidation' | 'logger' | 'sharedCounters'> & Parameters<typeof getPlatformRateLimits>[0],
    private readonly store: SharedCounter | undefined = services.sharedCounters?.counter('rate', 2 * windowMs / 1000),
    private readonly now: () => number = Date.now,
    /** A platform's limits (cached here until the operator changes them); the bench gives its own. */
    private readonly loadLimits: (platformId: string) => Promise<RateLimits> = (platformId) => getPlatformRateLimits(services, platformId),
  ) {
    services.invalidation.subscribe((message) => {
      if (message === null) this.limitsByPlatform.clear();
      else if (message.kind === 'platform') this.limitsByPlatform.delete(message.platformId);
    });
  }

  /** Counts one request: answered at once when this process holds a slot (or knows there is none), else a promise. */
  take(platformId: string, keyId: string, group: RateLimitGroup): RateDecision | Promise<RateDecision> {
    const now = this.now();
    this.turnWindow(now);
    const limits = this.limitsByPlatform.get(platformId);
    if (limits === undefined) {
      return this.loadLimits(platformId).then((loaded) => {
        this.limitsByPlatform.set(platformId, loaded);
        return this.take(platformId, keyId, group);
      });
    }
    const limit = limits[group];
    const id = `${keyId}:${group}`;
    let budget = this.budgets.get(id);
    if (budget === undefined) {
      budget = { limit, used: 0, granted: 0, reservedTotal: 0, isExhausted: false, reserving: undefined, lastReservation: 0, waiting: 0 };
      this.budgets.set(id, budget);
    } else if (budget.limit !== limit) {
      budget.limit = limit;
      budget.isExhausted = false;
    }
    if (this.store === undefined) {
      budget.used++;
      return { limit, remaining: Math.max(0, limit - budget.used), resetSeconds: this.resetSeconds(now), allowed: budget.used <= limit };
    }
    return this.admit(budget, id, now);
  }

  private admit(budget: Budget, id: string, now: number): RateDecision | Promise<RateDecision> {
    if (budget.granted > 0) {
      budget.granted--;
      budget.used++;
      if (!budget.isExhausted && budget.reserving === undefined && budget.granted * 2 < budget.lastReservation) void this.reserve(budget, id, now);
      return this.decision(budget, true, now);
    }
    if (budget.isExhausted) return this.decision(budget, false, now);
    budget.waiting++;
    const reservation = budget.reserving ?? this.reserve(budget, id, now);
    return reservation.then(() => {
      budget.waiting--;
      return this.admit(budget, id, this.now());
    });
  }

  private decision(budget: Budget, allowed: boolean, now: number): RateDecision {
    // Exact in one process; with several, what is left of the shared budget as of this process's last reservation.
    const remaining = Math.max(0, budget.limit - budget.reservedTotal) + budget.granted;
    return { limit: budget.limit, remaining, resetSeconds: this.resetSeconds(now), allowed };
  }

  /** Never rejects: a store that fails is replaced, for this reservation, by this process's own count. */
  private reserve(budget: Budget, id: string, now: number): Promise<void> {
    const size = this.reservationSize(budget, id, now);
    const key = `${id}:${this.windowStart}`;
    budget.lastReservation = size;
    const reservation = withTimeout((this.store as SharedCounter).add(key, size), storeTimeoutMs)
      .catch((error: unknown) => {
        this.storeFailed(error);
        return this.addLocally(key, size);
      })
      .then((total) => {
        // The counter went from total - size to total: the part of that range below the limit is this process's.
        const granted = Math.max(0, Math.min(size, budget.limit - (total - size)));
        budget.granted += granted;
        budget.reservedTotal = Math.max(budget.reservedTotal, total);
        if (granted < size) budget.isExhausted = true;
      })
      .finally(() => {
        budget.reserving = undefined;
      });
    budget.reserving = reservation;
    return reservation;
  }

  private reservationSize(budget: Budget, id: string, now: number): number {
    const perMs = Math.max(budget.used / Math.max(now - this.windowStart, 1000), (this.previousUse.get(id) ?? 0) / windowMs);
    const wanted = Math.ceil(perMs * reservationLeadMs) + budget.waiting;
    return Math.max(1, Math.min(wanted, Math.floor(budget.limit * maxReservationShare)));
  }

  private addLocally(key: string, amount: number): number {
    const total = (this.localTotals.get(key) ?? 0) + amount;
    this.localTotals.set(key, total);
    return total;
  }

  private storeFailed(error: unknown): void {
    const now = this.now();
    if (now - this.lastStoreErrorLoggedAt < storeErrorLogEveryMs) return;
    this.lastStoreErrorLoggedAt = now;
    this.services.logger.warn(
      { err: error, store: this.services.sharedCounters?.kind },
      'rate-limit store unavailable: counting in this process only until it answers (each process allows up to the full limit)',
    );
  }

  private resetSeconds(now: number): number {
    return Math.ceil((this.windowStart + windowMs - now) / 1000);
  }

  private turnWindow(now: number): void {
    const start = now - (now % windowMs);
    if (start === this.windowStart) return;
    this.previousUse = new Map([...this.budgets].map(([id, budget]) => [id, budget.used]));
    this.windowStart = start;
    this.budgets = new Map();
    this.localTotals = new Map();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Sets the ratelimit-* headers; returns the 429 to send when over the limit. */
export function answerRateLimit(reply: FastifyReply, state: RateDecision, group: RateLimitGroup): ApiError | undefined {
  reply.header('ratelimit-limit', state.limit);
  reply.header('ratelimit-remaining', state.remaining);
  reply.header('ratelimit-reset', state.resetSeconds);
  if (state.allowed) return undefined;
  reply.header('retry-after', state.resetSeconds);
  return new ApiError('RATE_LIMITED', undefined, { group, limit: state.limit });
}

/** Counts the request and sets the ratelimit-* headers: the 429 to send (or undefined), at once when it can be. */
export function applyRateLimit(limiter: RateLimiter, reply: FastifyReply, principal: Principal, group: RateLimitGroup): ApiError | undefined | Promise<ApiError | undefined> {
  const state = limiter.take(principal.platformId, principal.keyId, group);
  return state instanceof Promise ? state.then((s) => answerRateLimit(reply, s, group)) : answerRateLimit(reply, state, group);
}
