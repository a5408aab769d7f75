// The operator's per-platform overrides of the per-minute limits; the groups and their defaults are in lib/rate-limit-groups.ts.
import type { OperatorActor } from '../../lib/actor.ts';
import { defaultRateLimits, isRateLimitGroup, rateLimitGroups, type RateLimits } from '../../lib/rate-limit-groups.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import type { Deps } from '../deps.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';

export function effectiveLimits(overrides: Record<string, number>): RateLimits {
  const limits = defaultRateLimits();
  for (const [group, limit] of Object.entries(overrides)) if (isRateLimitGroup(group)) limits[group] = limit;
  return limits;
}

export async function getPlatformRateLimits(deps: Deps, platformId: string): Promise<RateLimits> {
  const row = await deps.db.core.selectFrom('core.platforms').select('rate_limits').where('id', '=', platformId).executeTakeFirst();
  return effectiveLimits(row?.rate_limits ?? {});
}

/** The operator raises (or lowers) a platform's limits; groups not named keep their current value. */
export async function setPlatformRateLimits(
  deps: Deps,
  work: UnitOfWork,
  _actor: OperatorActor,
  platformId: string,
  changes: Record<string, number>,
): Promise<RateLimits> {
  for (const [group, limit] of Object.entries(changes)) {
    if (!isRateLimitGroup(group)) throw invalidField(group, `Unknown rate-limit group "${group}"; one of ${rateLimitGroups.join(', ')}.`);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) throw invalidField(group, 'A limit is a whole number of requests per minute, 1 to 1,000,000.');
  }
  const tx = await work.transaction();
  const row = await tx.core.selectFrom('core.platforms').select('rate_limits').where('id', '=', platformId).forUpdate().executeTakeFirst();
  if (!row) throw new ApiError('PLATFORM_NOT_FOUND');
  const merged = { ...row.rate_limits, ...changes };
  await tx.core.updateTable('core.platforms').set({ rate_limits: JSON.stringify(merged) }).where('id', '=', platformId).execute();
  await deps.invalidation.publish(work, { kind: 'platform', platformId });
  return effectiveLimits(merged);
}
