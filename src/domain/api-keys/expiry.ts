// The expiry worker: tells a platform (api_key.expiring, 7 days and 1 day before) and records (api_key.expired, with
// its audit entry) what every server process already enforces on its own clock. Requests are never refused here:
// the key cache refuses an expired key at the instant, whether or not this pass has run.
import type { ApiKeyRow } from '../../db/schema.ts';
import { runUnitOfWork, type UnitOfWork } from '../../db/unit-of-work.ts';
import type { Deps } from '../deps.ts';
import { recordEvent } from '../events.ts';
import { keyEventData } from './api-keys.ts';
import { PeriodicPass } from '../periodic-pass.ts';

const dayMs = 24 * 3600 * 1000;
/** expiry_notice values: how far the platform has been told. */
const notices = { none: 0, sevenDays: 1, oneDay: 2, expired: 3 } as const;

/** The notice a key is due at `now`: the most urgent one whose time has come (an earlier one is not sent late). */
export function dueNotice(expiresAt: Date, now: Date): number {
  const left = expiresAt.getTime() - now.getTime();
  if (left <= 0) return notices.expired;
  if (left <= dayMs) return notices.oneDay;
  if (left <= 7 * dayMs) return notices.sevenDays;
  return notices.none;
}

async function notifyKey(work: UnitOfWork, row: ApiKeyRow & { expires_at: Date }, notice: number): Promise<void> {
  const tx = await work.transaction();
  await tx.core.updateTable('core.api_keys').set({ expiry_notice: notice }).where('id', '=', row.id).execute();
  const base = { platformId: row.platform_id, accountId: row.platform_id };
  if (notice === notices.expired) {
    await recordEvent(work, row.environment, { ...base, type: 'api_key.expired', data: { ...keyEventData(row), expired_at: row.expires_at.toISOString(), successor_id: row.rolled_to } });
    work.audit({
      action: 'api_key.expired',
      platformId: row.platform_id,
      environment: row.environment,
      targetType: 'api_key',
      targetId: row.id,
      details: { name: row.name, hint: row.hint, expired_at: row.expires_at.toISOString(), successor_id: row.rolled_to },
    });
  } else {
    await recordEvent(work, row.environment, {
      ...base,
      type: 'api_key.expiring',
      data: { ...keyEventData(row), expires_at: row.expires_at.toISOString(), notice: notice === notices.oneDay ? '1d' : '7d', successor_id: row.rolled_to },
    });
  }
}

/**
 * One pass: keys whose next notice is due, in one unit of work. FOR UPDATE SKIP LOCKED lets several server processes
 * run passes at once: a key another pass holds is skipped, and the guarded notice column means a key is told each
 * notice once. Deleted keys are not told anything.
 */
export async function notifyExpiringKeys(deps: Deps, work: UnitOfWork, now: Date, limit = 100): Promise<number> {
  const tx = await work.transaction();
  const rows = await tx.core
    .selectFrom('core.api_keys')
    .selectAll()
    .where('expires_at', 'is not', null)
    .where('expires_at', '<=', new Date(now.getTime() + 7 * dayMs))
    .where('revoked_at', 'is', null)
    .where('expiry_notice', '<', notices.expired)
    .where('environment', 'in', [...deps.config.environments])
    .orderBy('expires_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  let told = 0;
  for (const row of rows) {
    const expiresAt = row.expires_at as Date;
    const notice = dueNotice(expiresAt, now);
    if (notice > row.expiry_notice) {
      await notifyKey(work, { ...row, expires_at: expiresAt }, notice);
      told++;
    }
  }
  return told;
}

/** The background pass in every server process. */
export class KeyExpiryNotifier extends PeriodicPass {
  constructor(
    private readonly deps: Deps,
    onError: (error: unknown) => void,
    intervalMs = 10_000,
  ) {
    super(intervalMs, onError);
  }

  /** Passes until no notice is due (a pass takes up to 100 keys). */
  async runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const told = await runUnitOfWork(this.deps.db, (work) => notifyExpiringKeys(this.deps, work, this.deps.now()));
      total += told;
      if (told === 0) return total;
    }
  }
}
