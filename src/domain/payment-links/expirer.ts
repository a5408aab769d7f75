// Background expiry of payment links, in every server process: links whose time has come end `expired` with their
// open payment (funds it had received are held as unmatched). The deposit settler's shape (deposits.ts).
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { PeriodicPass, passEachEnvironment } from '../periodic-pass.ts';
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

export class PaymentLinkExpirer extends PeriodicPass {
  constructor(
    private readonly deps: Deps,
    onError: (error: unknown) => void,
    intervalMs = 1000,
  ) {
    super(intervalMs, onError);
  }

  async runOnce(): Promise<number> {
    // A plain read first, outside any transaction: most passes find nothing due and then take no lock at all (on
    // PGlite, which serves one query at a time, an idle transaction each second would hold up every request).
    const now = this.deps.now();
    const due: Environment[] = [];
    for (const environment of this.deps.config.environments) {
      const any = await this.deps.db.env(environment).selectFrom('payment_links').select('id').where('status', '=', 'active').where('expires_at', '<=', now).limit(1).executeTakeFirst();
      if (any) due.push(environment);
    }
    return due.length === 0 ? 0 : passEachEnvironment(this.deps, due, expireDueLinks);
  }
}
