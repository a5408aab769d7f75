// The follower's walk over newest-first pages: history at start is skipped, bursts span pages, late commits are caught.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventFollower, type EventPage, type PlatformEvent } from './event-follower.ts';

/** An events list in memory, served newest first in pages of `pageSize`, as GET /api/v1/events serves it. */
function eventLog(pageSize = 2) {
  const events: PlatformEvent[] = [];
  let pagesServed = 0;
  let failNext = false;
  const at = (ms: number): string => new Date(Date.UTC(2026, 11, 1, 22, 0, 0) + ms).toISOString();
  return {
    /** Records an event with this id (ids sort as the API orders them) created `ms` after a fixed instant. */
    add(id: string, ms: number): void {
      events.push({ id, object: 'event', type: 'transfer.completed', created_at: at(ms), environment: 'sandbox', account_id: 'acct_1', data: {} });
    },
    failNextPage: () => void (failNext = true),
    get pagesServed() {
      return pagesServed;
    },
    async fetchPage(cursor: string | undefined): Promise<EventPage> {
      if (failNext) {
        failNext = false;
        throw new Error('503');
      }
      pagesServed++;
      const sorted = [...events].sort((a, b) => (a.id < b.id ? 1 : -1)).filter((e) => cursor === undefined || e.id < cursor);
      const data = sorted.slice(0, pageSize);
      return { data, next_cursor: sorted.length > pageSize ? (data.at(-1)?.id ?? null) : null };
    },
  };
}

const ids = (events: PlatformEvent[]): string[] => events.map((e) => e.id);

describe('EventFollower', () => {
  it('starts from now, then returns each new event once, oldest first, however many pages a burst fills', async () => {
    const log = eventLog();
    for (let i = 1; i <= 5; i++) log.add(`evt_0${i}`, i);
    const follower = new EventFollower((cursor) => log.fetchPage(cursor), 1000);
    await follower.start();
    assert.deepEqual(await follower.poll(), []);
    for (let i = 6; i <= 12; i++) log.add(`evt_${String(i).padStart(2, '0')}`, 100 + i);
    assert.deepEqual(ids(await follower.poll()), ['evt_06', 'evt_07', 'evt_08', 'evt_09', 'evt_10', 'evt_11', 'evt_12']);
    assert.deepEqual(await follower.poll(), []);
  });

  it('after an empty start, everything that appears is new', async () => {
    const log = eventLog();
    const follower = new EventFollower((cursor) => log.fetchPage(cursor), 1000);
    await follower.start();
    for (let i = 1; i <= 5; i++) log.add(`evt_0${i}`, i);
    assert.deepEqual(ids(await follower.poll()), ['evt_01', 'evt_02', 'evt_03', 'evt_04', 'evt_05']);
  });

  it('catches an event that commits late behind one already returned, within the window, once', async () => {
    const log = eventLog();
    const follower = new EventFollower((cursor) => log.fetchPage(cursor), 1000);
    await follower.start();
    log.add('evt_10', 500);
    log.add('evt_30', 520);
    assert.deepEqual(ids(await follower.poll()), ['evt_10', 'evt_30']);
    // Its id was minted before evt_30's, but its transaction committed after the last poll.
    log.add('evt_20', 510);
    assert.deepEqual(ids(await follower.poll()), ['evt_20']);
    assert.deepEqual(await follower.poll(), []);
  });

  it('walks back only over the window behind the newest event seen, not the whole history, at start and after', async () => {
    const log = eventLog();
    for (let i = 10; i < 60; i++) log.add(`evt_${i}`, i * 1000);
    const follower = new EventFollower((cursor) => log.fetchPage(cursor), 1000);
    await follower.start();
    assert.equal(log.pagesServed, 2, 'evt_59 and evt_58 are in the window; evt_57 ends the walk');
    log.add('evt_90', 90_000);
    assert.deepEqual(ids(await follower.poll()), ['evt_90']);
    assert.equal(log.pagesServed, 4, 'again [evt_90, evt_59], [evt_58, evt_57]');
    assert.deepEqual(await follower.poll(), []);
    assert.equal(log.pagesServed, 5, 'now the window is behind evt_90: one page');
  });

  it('a failed page loses nothing: the next poll walks the same events again', async () => {
    const log = eventLog();
    const follower = new EventFollower((cursor) => log.fetchPage(cursor), 1000);
    await follower.start();
    for (let i = 1; i <= 3; i++) log.add(`evt_0${i}`, i);
    log.failNextPage();
    await assert.rejects(follower.poll());
    assert.deepEqual(ids(await follower.poll()), ['evt_01', 'evt_02', 'evt_03']);
  });
});
