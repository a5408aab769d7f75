// Background expiry of payment links, in every server process: links whose time has come end `expired` with their
// open payment (funds it had received are held as unmatched). The deposit settler's shape (deposits.ts).
import { runUnitOfWork, type UnitOfWork } from '../../db/unit-of-work.ts';
import type { Environment } from '../../lib/environments.ts';
import type { Deps } from '../deps.ts';
import { endLink } from './settlement.ts';

/**
 * One pass: active links past their expiry, oldest first. FOR UPDATE SKIP LOCKED lets several processes share the
 * work (each takes rows no other pass holds), and a link a deposit holds is skipped — the deposit expires it itself
 * if it is due (receiveLinkDeposit). endLink's guarded UPDATE (`status = 'active'`) means a link is expired once,
 * whoever gets there first.
 */
export async function expireDueLinks(work: UnitOfWork, environment: Environment, now: Date, limit = 50): Promise<number> {
  const tx = await work.transaction();
  const due = await tx
    .env(environment)
    .selectFrom('payment_links')
    .selectAll()
    .where('status', '=', 'active')
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  let expired = 0;
  for (const link of due) if ((await endLink(work, environment, link, 'expired', now)).status === 'expired') expired++;
  return expired;
}

export class PaymentLinkExpirer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: Deps,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.runOnce()
        .then(() => undefined, this.onError)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, this.intervalMs);
    this.timer.unref();
  }

  async runOnce(): Promise<number> {
    let total = 0;
    for (const environment of this.deps.config.environments) {
      // Each pass is its own unit of work, an edge like a route.
      total += await runUnitOfWork(this.deps.db, (work) => expireDueLinks(work, environment, this.deps.now()));
    }
    return total;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
