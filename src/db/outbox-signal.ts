// Wakes the readers of the event outbox (the webhook worker) once a unit of work that recorded events has committed:
// this process's readers at once, other server processes through a NOTIFY on PostgreSQL.
import type { Environment } from '../lib/environments.ts';

export const outboxChannel = 'pik_outbox';

export type OutboxListener = (environment: Environment) => void;

export class OutboxSignal {
  private readonly listeners = new Set<OutboxListener>();
  private readonly sending = new Map<Environment, 'one' | 'one more'>();

  /** `notifyOthers` sends the NOTIFY (PostgreSQL); undefined where one process owns the database (PGlite). */
  constructor(private readonly notifyOthers?: (environment: Environment) => Promise<void>) {}

  subscribe(listener: OutboxListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Called after the commit, never inside the transaction: the change is durable before anyone looks, and the
   * writing transaction pays no extra round trip. Under load the NOTIFYs coalesce to at most one in flight per
   * environment plus one queued: a woken worker reads everything due, not one event per wake.
   */
  recorded(environment: Environment): void {
    for (const listener of this.listeners) listener(environment);
    if (!this.notifyOthers) return;
    if (this.sending.has(environment)) {
      this.sending.set(environment, 'one more');
      return;
    }
    this.sending.set(environment, 'one');
    const send = (): void => {
      void (this.notifyOthers as (e: Environment) => Promise<void>)(environment)
        // A lost NOTIFY only delays delivery to the next poll of the other processes; never fail the caller for it.
        .catch(() => undefined)
        .then(() => {
          if (this.sending.get(environment) === 'one more') {
            this.sending.set(environment, 'one');
            send();
          } else {
            this.sending.delete(environment);
          }
        });
    };
    send();
  }
}
