// The rate-limit group catalogue: the one place to add a group and its default per-minute limit (spec §2). A route
// names its group in its config (typed by this file); the operator's overrides, the CLI help and the OpenAPI
// description of the overrides derive from it.

export const rateLimitGroupCatalogue = {
  general: { perMinute: 300, covers: 'every request not in another group' },
  payments: { perMinute: 60, covers: 'transfers and sandbox deposits' },
  fx: { perMinute: 60, covers: 'FX rates, quotes and conversions' },
  payouts: { perMinute: 30, covers: 'creating payouts and simulating their outcome' },
  webhook_registration: { perMinute: 10, covers: 'registering webhook endpoints' },
} as const satisfies Record<string, { perMinute: number; covers: string }>;

export type RateLimitGroup = keyof typeof rateLimitGroupCatalogue;
export type RateLimits = Record<RateLimitGroup, number>;

export const rateLimitGroups = Object.keys(rateLimitGroupCatalogue) as readonly RateLimitGroup[];

export function isRateLimitGroup(value: string): value is RateLimitGroup {
  return Object.hasOwn(rateLimitGroupCatalogue, value);
}

/** Each group's default limit, for a platform the operator has not changed. */
export function defaultRateLimits(): RateLimits {
  return Object.fromEntries(rateLimitGroups.map((g) => [g, rateLimitGroupCatalogue[g].perMinute])) as RateLimits;
}
