// Which of a platform's events are new since the last look: walks the events API's pages (newest first) back to
// where the previous walk stopped, so a burst larger than a page is followed to its start.

/** An event as `GET /api/v1/events` lists it. */
export interface PlatformEvent {
  id: string;
  object: 'event';
  type: string;
  created_at: string;
  environment: string;
  account_id: string;
  data: unknown;
}

export interface EventPage {
  data: PlatformEvent[];
  next_cursor: string | null;
}

/** One page of `GET /api/v1/events`, newest first: the first page without a cursor, then each `next_cursor`. */
export type FetchEventPage = (cursor: string | undefined) => Promise<EventPage>;

/**
 * How far behind the newest event seen a walk still looks. Events are listed in id order and the id is minted
 * inside the transaction that records the event, so one that commits late (another server process, a slow
 * transaction) can appear behind an event already seen: stopping exactly at the last id seen would skip it for ever.
 * Walking back over this window, and remembering the ids inside it, catches such an event once it commits.
 */
export const lateCommitWindowMs = 5_000;

export class EventFollower {
  /** Ids already handled (history at start, or returned by a poll), with their creation time; only the window's. */
  private readonly seen = new Map<string, number>();
  /** Events created before this are behind the window: a walk stops at the first one. Unset until an event is seen. */
  private horizonMs: number | undefined;

  constructor(
    private readonly fetchPage: FetchEventPage,
    private readonly windowMs = lateCommitWindowMs,
  ) {}

  /** Starts from "now": what the API lists already is history, never returned by poll(). */
  async start(): Promise<void> {
    this.remember(await this.walk(true));
  }

  /**
   * The events that appeared since the last call, oldest first. A failed page leaves nothing remembered, so the next
   * poll walks the same events again: nothing is lost to a transient error.
   */
  async poll(): Promise<PlatformEvent[]> {
    const fresh = await this.walk(false);
    this.remember(fresh);
    return fresh.reverse();
  }

  private async walk(isStart: boolean): Promise<PlatformEvent[]> {
    const fresh: PlatformEvent[] = [];
    let horizon = this.horizonMs;
    let cursor: string | undefined;
    for (;;) {
      const page = await this.fetchPage(cursor);
      for (const event of page.data) {
        const createdMs = Date.parse(event.created_at);
        if (Number.isNaN(createdMs)) throw new Error(`The events API listed ${event.id} without a valid created_at.`);
        // At start only the window behind the newest event is history to remember. After an empty start there is no
        // horizon: every event listed arrived since, however many pages they fill.
        if (horizon === undefined && isStart) horizon = createdMs - this.windowMs;
        if (horizon !== undefined && createdMs < horizon) return fresh;
        if (!this.seen.has(event.id)) fresh.push(event);
      }
      if (!page.next_cursor) return fresh;
      cursor = page.next_cursor;
    }
  }

  private remember(events: readonly PlatformEvent[]): void {
    let newestMs = -Infinity;
    for (const event of events) this.seen.set(event.id, Date.parse(event.created_at));
    for (const createdMs of this.seen.values()) newestMs = Math.max(newestMs, createdMs);
    if (newestMs === -Infinity) return;
    this.horizonMs = newestMs - this.windowMs;
    for (const [id, createdMs] of this.seen) if (createdMs < this.horizonMs) this.seen.delete(id);
  }
}
