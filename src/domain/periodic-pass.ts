// The shape of PIK's background workers in every server process (the deposit settler, the key-expiry notices, the
// payment-link expirer): one pass at a time, the next an interval after the last ends, failures reported and retried
// at the next tick, until stopped; each pass a unit of work per environment.
import { runUnitOfWork, type UnitOfWork } from '../db/unit-of-work.ts';
import type { Environment } from '../lib/environments.ts';
import type { Deps } from './deps.ts';

/** A worker extends this and says what one pass does (`runOnce`, which tests also call directly). */
export abstract class PeriodicPass {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  abstract runOnce(): Promise<unknown>;

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

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}

/** Runs `pass` for each environment in its own unit of work (a worker is an edge, like a route); the total it counts. */
export async function passEachEnvironment(
  deps: Pick<Deps, 'db' | 'now'>,
  environments: readonly Environment[],
  pass: (work: UnitOfWork, environment: Environment, now: Date) => Promise<number>,
): Promise<number> {
  let total = 0;
  for (const environment of environments) total += await runUnitOfWork(deps.db, (work) => pass(work, environment, deps.now()));
  return total;
}
