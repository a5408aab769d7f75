// The key cache against a counting stand-in for the database: unknown keys are remembered apart from real ones.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Database } from '../db/database.ts';
import { InvalidationBus } from '../db/invalidation.ts';
import { hashApiKey } from '../lib/api-key.ts';
import { ApiKeyCache, maxKnownKeys, maxUnknownKeys } from './key-cache.ts';

interface Row {
  id: string;
  platform_id: string;
  environment: 'sandbox';
  revoked_at: Date | null;
}

/** Answers the cache's one query from `rows` and counts the queries. */
function countingDatabase(rows: Map<string, Row>): { db: Database; queries: () => number } {
  let queries = 0;
  const core = {
    selectFrom: () => ({
      select: () => ({
        where: (_column: string, _op: string, hash: string) => ({
          executeTakeFirst: async () => {
            queries++;
            return rows.get(hash);
          },
        }),
      }),
    }),
  };
  return { db: { core } as unknown as Database, queries: () => queries };
}

const validHash = hashApiKey('pik_test_the-one-real-key');
const realRow: Row = { id: 'key_real', platform_id: 'acct_platform', environment: 'sandbox', revoked_at: null };

describe('ApiKeyCache', () => {
  it('a flood of unknown keys does not evict a valid one: its next use costs no query; unknown hashes stay bounded', async () => {
    const { db, queries } = countingDatabase(new Map([[validHash, realRow]]));
    const cache = new ApiKeyCache(db, new InvalidationBus());
    assert.equal((await cache.load(validHash))?.keyId, 'key_real');

    // More fakes than the cache holds of either kind. (The cache only ever sees hashes of keys that passed the
    // format and checksum check, which anyone can mint; which strings they hash does not matter here.)
    const flood = 100_001;
    for (let i = 0; i < flood; i++) assert.equal(await cache.load(hashApiKey(`pik_test_fake_${i}`)), null);

    const before = queries();
    assert.equal(cache.cached(validHash)?.keyId, 'key_real', 'the valid key was evicted by unknown ones');
    assert.equal(queries(), before, 'the valid key needed a query');
    assert.ok(flood > maxKnownKeys && flood > maxUnknownKeys, 'the flood must exceed both bounds to prove anything');
    assert.deepEqual(cache.size(), { known: 1, unknown: maxUnknownKeys });
    // The most recent unknown hashes are the ones remembered: a repeat of them costs no query.
    assert.equal(cache.cached(hashApiKey(`pik_test_fake_${flood - 1}`)), null);
    assert.equal(cache.cached(hashApiKey('pik_test_fake_0')), undefined);
  });

  it('known keys are bounded too, dropping the one loaded longest ago; a reload counts as recent', async () => {
    const rows = new Map<string, Row>();
    const hashes: string[] = [];
    for (let i = 0; i <= maxKnownKeys; i++) {
      const hash = hashApiKey(`pik_test_real_${i}`);
      hashes.push(hash);
      rows.set(hash, { ...realRow, id: `key_${i}` });
    }
    const { db } = countingDatabase(rows);
    const cache = new ApiKeyCache(db, new InvalidationBus());
    for (const hash of hashes.slice(0, maxKnownKeys)) await cache.load(hash);
    await cache.load(hashes[0] as string); // reloaded: now the most recent
    await cache.load(hashes[maxKnownKeys] as string); // one too many: the oldest, key_1, goes
    assert.equal(cache.size().known, maxKnownKeys);
    assert.equal(cache.cached(hashes[0] as string)?.keyId, 'key_0');
    assert.equal(cache.cached(hashes[1] as string), undefined);
  });

  it('remembers unknown keys for 10 s and known ones for 60 s; isKnownActive outlives the 60 s, not a revocation', async () => {
    let now = 1_000_000;
    const rows = new Map([[validHash, realRow]]);
    const { db, queries } = countingDatabase(rows);
    const bus = new InvalidationBus();
    const cache = new ApiKeyCache(db, bus, () => now);
    const fake = hashApiKey('pik_test_fake');
    await cache.load(fake);
    await cache.load(validHash);
    now += 9_999;
    assert.equal(cache.cached(fake), null);
    now += 1;
    assert.equal(cache.cached(fake), undefined);
    now += 50_000;
    assert.equal(cache.cached(validHash), undefined);
    assert.equal(cache.isKnownActive(validHash), true);
    assert.equal(cache.isKnownActive(fake), false);
    rows.set(validHash, { ...realRow, revoked_at: new Date() });
    await cache.load(validHash);
    assert.equal(cache.isKnownActive(validHash), false);
    assert.equal(queries(), 3);
  });
});
