// Deletes Idempotency-Key records past their 24 hours, periodically, in every server process (the delete is idempotent).
import type { Deps } from '../deps.ts';
import { deleteExpiredIdempotencyKeys } from './idempotency.ts';

export class IdempotencySweeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: Deps,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = 10 * 60 * 1000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce().catch(this.onError), this.intervalMs).unref();
  }

  async runOnce(): Promise<number> {
    let deleted = 0;
    for (const environment of this.deps.config.environments) deleted += await deleteExpiredIdempotencyKeys(this.deps, environment);
    return deleted;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
