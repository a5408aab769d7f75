// Failed authentications per client address, over fixed one-minute windows: counted in this process's memory and, with
// a shared store (PostgreSQL or Redis), added to every process's count within a few milliseconds.
import type { SharedCounter } from '../db/shared-counters.ts';

const windowMs = 60_000;
/** How long new failures wait to be sent to the shared store together (one add per address in the batch). */
export const failureSyncDelayMs = 25;
/** A batch the store has not answered by then counts as failed: the next one is not held up behind it. */
const storeTimeoutMs = 1000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the shared store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
/** Addresses tracked at once; beyond it the address counted first in the window is forgotten (see the docs). */
export const maxTrackedAddresses = 100_000;

/**
 * Counts the 401s answered to each client address. Once an address reaches the limit in the current window, the gates
 * answer it 429 with Retry-After instead of doing the work a guess costs (a key lookup, a token comparison), until
 * the window ends.
 *
 * Every check is in memory and synchronous. With a shared store, this process's new failures are added to the
 * address's shared counter in batches (at most one batch in flight, sent 25 ms after its first failure), and the total
 * each add answers — every process's failures — is what the checks use from then on. The approximation is bounded:
 * once an address's shared count reaches the limit, a process still answers it as usual until it hears so, that is
 * for the failures it counts within one batch (25 ms plus a round trip to the store); a process that has not seen the
 * address fail in the window yet learns the total from its first failure's batch. So an address gets at most the limit
 * plus, per process, what it can send in about 25 ms plus one round trip — against n times the limit without
 * sharing. A store that fails leaves each process with its own count (fails open to per-process limits).
 */
export class AuthFailureLimiter {
  private windowStart = 0;
  private failures = new Map<string, number>();
  /** This process's failures not yet added to the shared counters. */
  private unsynced = new Map<string, number>();
  /** Every process's failures per address, as the shared store last answered (this process's sent ones included). */
  private shared = new Map<string, number>();
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  /**
   * Lookups under way per address: a key the cache does not know costs a query, and until it answers nobody knows
   * whether it will be a failure. They count against the limit like failures, so that 40 unknown keys sent at once
   * cannot all be looked up before the first of them is counted (the check-then-act race of issue 15's defect 2).
   */
  private pending = new Map<string, number>();

  constructor(
    /** 401s an address may receive per window; the next request is refused. */
    readonly limit: number,
    private readonly now: () => number,
    /** Every process's counts (PostgreSQL or Redis); undefined: this process counts alone. */
    private readonly store?: SharedCounter,
    private readonly onStoreError: (error: unknown) => void = () => undefined,
  ) {}

  /** 0 when the address may be answered as usual, else the seconds until its window ends (for Retry-After). */
  blockedForSeconds(address: string): number {
    const now = this.turnWindow();
    const group = addressGroup(address);
    const count = this.failuresOf(group) + (this.pending.get(group) ?? 0);
    if (count < this.limit) return 0;
    return Math.max(1, Math.ceil((this.windowStart + windowMs - now) / 1000));
  }

  /**
   * Before a lookup whose answer may be a failure: counts it as pending and returns its ticket, or returns the seconds
   * the address is blocked for. Check and count happen in one synchronous step, so concurrent requests cannot all
   * pass the check before any is counted. The ticket goes back through settle() with the lookup's outcome.
   */
  reserve(address: string): { blockedForSeconds: number } | { ticket: LookupTicket } {
    const blockedForSeconds = this.blockedForSeconds(address);
    if (blockedForSeconds > 0) return { blockedForSeconds };
    const group = addressGroup(address);
    this.pending.set(group, (this.pending.get(group) ?? 0) + 1);
    return { ticket: { group, windowStart: this.windowStart } };
  }

  /** The lookup answered: a failure now counts as one; a success costs nothing. */
  settle(ticket: LookupTicket, failed: boolean): void {
    this.turnWindow();
    if (ticket.windowStart === this.windowStart) {
      const left = (this.pending.get(ticket.group) ?? 1) - 1;
      if (left > 0) this.pending.set(ticket.group, left);
      else this.pending.delete(ticket.group);
    }
    if (failed) this.countFailure(ticket.group);
  }

  recordFailure(address: string): void {
    this.turnWindow();
    this.countFailure(addressGroup(address));
  }

  /** The address's failures in this window: this process's, or everyone's as far as the store has told (the larger). */
  private failuresOf(group: string): number {
    const own = this.failures.get(group) ?? 0;
    if (this.store === undefined) return own;
    return Math.max(own, (this.shared.get(group) ?? 0) + (this.unsynced.get(group) ?? 0));
  }

  private countFailure(group: string): void {
    const count = this.failures.get(group);
    if (count === undefined && this.failures.size >= maxTrackedAddresses) {
      const first = this.failures.keys().next().value;
      if (first !== undefined) {
        this.failures.delete(first);
        this.shared.delete(first);
      }
    }
    this.failures.set(group, (count ?? 0) + 1);
    if (this.store === undefined) return;
    this.unsynced.set(group, (this.unsynced.get(group) ?? 0) + 1);
    this.scheduleSync();
  }

  private scheduleSync(): void {
    if (this.syncTimer !== undefined || this.syncing !== undefined) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      this.syncing = this.sync().finally(() => {
        this.syncing = undefined;
        if (this.unsynced.size > 0) this.scheduleSync();
      });
    }, failureSyncDelayMs);
    this.syncTimer.unref();
  }

  /** Adds the batch to the shared counters; each answer is that address's total across every process. */
  private async sync(): Promise<void> {
    const batch = this.unsynced;
    const windowStart = this.windowStart;
    this.unsynced = new Map();
    const store = this.store as SharedCounter;
    const answers = await Promise.allSettled(
      [...batch].map(async ([group, count]) => {
        const total = await withTimeout(store.add(`${group}:${windowStart}`, count), storeTimeoutMs);
        if (this.windowStart === windowStart) this.shared.set(group, Math.max(this.shared.get(group) ?? 0, total));
      }),
    );
    const failed = answers.find((answer) => answer.status === 'rejected');
    if (failed) this.onStoreError(failed.reason);
  }

  /** Sends the failures not yet shared (tests; a stopping server) and stops the timer. */
  async flush(): Promise<void> {
    if (this.syncTimer !== undefined) {
      clearTimeout(this.syncTimer);
      this.syncTimer = undefined;
    }
    await this.syncing;
    if (this.store !== undefined && this.unsynced.size > 0) await this.sync();
  }

  /** How many addresses are counted in the current window (for tests). */
  trackedAddresses(): number {
    return this.failures.size;
  }

  private turnWindow(): number {
    const now = this.now();
    const start = now - (now % windowMs);
    if (start !== this.windowStart) {
      this.windowStart = start;
      this.failures = new Map();
      this.pending = new Map();
      this.shared = new Map();
      this.unsynced = new Map();
    }
    return now;
  }
}

export interface LookupTicket {
  group: string;
  windowStart: number;
}

/**
 * What one limit counts: an IPv4 address, or the /64 an IPv6 address lies in. One subscriber is usually given a whole
 * /64, so counting single IPv6 addresses would let one client rotate through billions of fresh budgets.
 */
export function addressGroup(address: string): string {
  if (!address.includes(':')) return address;
  const ip = address.split('%')[0] ?? address; // a zone id (fe80::1%eth0) is not part of the address
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1] as string;
  const [head = '', tail] = ip.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => (Number.parseInt(group, 16) || 0).toString(16))
    .join(':')}::/64`;
}
