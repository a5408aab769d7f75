// Per-key, per-group request limits over fixed one-minute windows, with the ratelimit-* headers on every response.
import type { FastifyReply } from 'fastify';
import type { Principal } from '../lib/actor.ts';
import { ApiError } from '../lib/errors.ts';
import { getPlatformRateLimits } from '../domain/platforms/rate-limits.ts';
import type { RateLimitGroup, RateLimits } from '../lib/rate-limit-groups.ts';
import type { Services } from '../services.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which limit the route counts against; default 'general'. */
    rateLimitGroup?: RateLimitGroup;
  }
}

const windowMs = 60_000;

/**
 * Counts live in this process's memory: with several server processes each enforces the limit on its own share of
 * the traffic. That keeps the hot path free of database writes; a shared counter (Redis) is the upgrade path.
 */
export class RateLimiter {
  private windowStart = 0;
  private counts = new Map<string, number>();
  private readonly limitsByPlatform = new Map<string, RateLimits>();

  constructor(
    private readonly services: Services,
    private readonly now: () => number = Date.now,
  ) {
    services.invalidation.subscribe((message) => {
      if (message === null) this.limitsByPlatform.clear();
      else if (message.kind === 'platform') this.limitsByPlatform.delete(message.platformId);
    });
  }

  async take(platformId: string, keyId: string, group: RateLimitGroup): Promise<{ limit: number; remaining: number; resetSeconds: number; allowed: boolean }> {
    const now = this.now();
    const start = now - (now % windowMs);
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.counts = new Map();
    }
    let limits = this.limitsByPlatform.get(platformId);
    if (!limits) {
      limits = await getPlatformRateLimits(this.services, platformId);
      this.limitsByPlatform.set(platformId, limits);
    }
    // (the window may have turned while we awaited; counting into the new one is correct)
    const limit = limits[group];
    const counter = `${keyId}:${group}`;
    const used = (this.counts.get(counter) ?? 0) + 1;
    this.counts.set(counter, used);
    return { limit, remaining: Math.max(0, limit - used), resetSeconds: Math.ceil((start + windowMs - now) / 1000), allowed: used <= limit };
  }
}

/** Counts the request and sets the ratelimit-* headers; returns the 429 to send when over the limit. */
export async function applyRateLimit(limiter: RateLimiter, reply: FastifyReply, principal: Principal, group: RateLimitGroup): Promise<ApiError | undefined> {
  const state = await limiter.take(principal.platformId, principal.keyId, group);
  reply.header('ratelimit-limit', state.limit);
  reply.header('ratelimit-remaining', state.remaining);
  reply.header('ratelimit-reset', state.resetSeconds);
  if (state.allowed) return undefined;
  reply.header('retry-after', state.resetSeconds);
  return new ApiError('RATE_LIMITED', undefined, { group, limit: state.limit });
}
