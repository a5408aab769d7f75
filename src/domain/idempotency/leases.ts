// The leases of this process's Idempotency-Key claims: renewed while their requests run, so that a claim outlives its
// request by at most PIK_IDEMPOTENCY_LEASE_SECONDS however the request ends — a crash, a kill -9, a database outage
// that kept the key from being freed.
//
// Why a lease and not one long lock: the claim commits on its own, before the request's unit of work (a concurrent
// retry must see it at once, to answer 409 rather than run twice), so a process that dies between the two leaves a
// claim with nothing applied behind it. With one fixed lock (60 s before) each crash blocked the retries of every
// request in flight for that long; with a lease renewed every third of its length, a retry runs again within the
// lease once the renewals stop. A request still alive keeps its claim up to PIK_IDEMPOTENCY_LOCK_SECONDS; past that a
// retry may take the key over, and the late request cannot also apply (its answer is stored guarded by its claim token).
import type { Scope } from '../../lib/actor.ts';
import type { Deps } from '../deps.ts';
import { PeriodicPass } from '../periodic-pass.ts';
import { renewIdempotencyClaims, type Claim } from './idempotency.ts';

interface Held {
  claim: Claim;
  sinceMs: number;
}

/** One renewal pass at a time (PeriodicPass), every third of the lease, so two renewals may fail before a live claim lapses. */
export class ClaimLeases extends PeriodicPass {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly deps: Deps,
    private readonly onRenewalError: (error: unknown) => void,
    everyMs = Math.max(100, Math.floor(deps.config.idempotencyLeaseMs / 3)),
  ) {
    super(everyMs, onRenewalError);
  }

  /** The request holding `claim` is running: keep its lease alive until `release`. */
  hold(claim: Claim): void {
    this.held.set(claim.token, { claim, sinceMs: Date.now() });
  }

  /** The request has answered (or died): its lease is no longer renewed. */
  release(claim: Claim): void {
    this.held.delete(claim.token);
  }

  /** Claims held now (tests, and the shutdown log). */
  get size(): number {
    return this.held.size;
  }

  /** One renewal of every held lease, one statement per environment. */
  async runOnce(): Promise<void> {
    const nowMs = Date.now();
    const byEnvironment = new Map<Scope['environment'], Claim[]>();
    for (const [token, { claim, sinceMs }] of this.held) {
      // Past PIK_IDEMPOTENCY_LOCK_SECONDS the database would not extend it anyway; a request that never reported its
      // end (none should) is forgotten here rather than held for ever.
      if (nowMs - sinceMs > this.deps.config.idempotencyClaimTtlMs) {
        this.held.delete(token);
        continue;
      }
      const list = byEnvironment.get(claim.environment) ?? [];
      list.push(claim);
      byEnvironment.set(claim.environment, list);
    }
    for (const [environment, claims] of byEnvironment) {
      try {
        await renewIdempotencyClaims(this.deps, environment, claims);
      } catch (error) {
        // The database is away: the leases lapse, which is what they are for. Renewed again once it is back.
        this.onRenewalError(error);
      }
    }
  }
}
