// Cache invalidation across server processes: a NOTIFY sent inside the writing transaction, plus immediate local delivery.
import type { Environment } from '../lib/environments.ts';
import type { Database } from './database.ts';
import type { UnitOfWork } from './unit-of-work.ts';

export type Invalidation =
  | { kind: 'api_key'; keyId: string }
  | { kind: 'account'; environment: Environment; accountId: string }
  | { kind: 'platform'; platformId: string }
  | { kind: 'fx_rates'; environment: Environment };

/** null means "messages may have been lost": drop everything cached. */
export type InvalidationHandler = (message: Invalidation | null) => void;

const channel = 'pik_invalidate';

export class InvalidationBus {
  private readonly handlers = new Set<InvalidationHandler>();
  private stop: (() => Promise<void>) | undefined;

  subscribe(handler: InvalidationHandler): void {
    this.handlers.add(handler);
  }

  async start(database: Database): Promise<void> {
    this.stop = await database.listen(
      channel,
      (payload) => this.deliver(parse(payload)),
      () => this.deliver(null),
    );
  }

  /**
   * Part of the unit of work that makes the change: the NOTIFY is queued in its transaction, so other processes hear
   * of it only if it commits; this process applies it right after the commit, so it never serves the old state even
   * for the milliseconds the NOTIFY takes to come back.
   */
  async publish(work: UnitOfWork, message: Invalidation): Promise<void> {
    const tx = await work.transaction();
    await tx.notify(channel, JSON.stringify(message));
    work.afterCommit(() => this.deliver(message));
  }

  async close(): Promise<void> {
    await this.stop?.();
  }

  private deliver(message: Invalidation | null): void {
    for (const handler of this.handlers) handler(message);
  }
}

function parse(payload: string): Invalidation | null {
  try {
    const value = JSON.parse(payload) as Invalidation;
    return typeof value === 'object' && value !== null && 'kind' in value ? value : null;
  } catch {
    return null;
  }
}
