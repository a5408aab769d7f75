// Verified API keys held in memory, so authentication costs no database round trip; revocations arrive by NOTIFY.
import type { Environment } from '../lib/environments.ts';
import type { Database } from '../db/database.ts';
import type { InvalidationBus } from '../db/invalidation.ts';

export interface KeyRecord {
  keyId: string;
  platformId: string;
  environment: Environment;
  isRevoked: boolean;
}

interface Entry {
  record: KeyRecord | null; // null: no such key
  loadedAt: number;
}

// Belt and braces behind NOTIFY: even a missed message cannot keep a deleted key alive longer than this.
const positiveTtlMs = 60_000;
// Unknown hashes are remembered briefly so a flood of well-formed fake keys does not become a flood of queries.
const negativeTtlMs = 10_000;
const maxEntries = 100_000;

export class ApiKeyCache {
  private readonly byHash = new Map<string, Entry>();
  private readonly hashById = new Map<string, string>();
  private generation = 0;

  constructor(
    private readonly db: Database,
    bus: InvalidationBus,
    private readonly clock: () => number = Date.now,
  ) {
    bus.subscribe((message) => {
      this.generation++;
      if (message === null) {
        this.byHash.clear();
        this.hashById.clear();
      } else if (message.kind === 'api_key') {
        const hash = this.hashById.get(message.keyId);
        if (hash) this.byHash.delete(hash);
        this.hashById.delete(message.keyId);
      }
    });
  }

  /** The cached answer, or undefined when the key must be loaded. Synchronous: the hot path awaits nothing on a hit. */
  cached(keyHash: string): KeyRecord | null | undefined {
    const cached = this.byHash.get(keyHash);
    if (cached && this.clock() - cached.loadedAt < (cached.record ? positiveTtlMs : negativeTtlMs)) return cached.record;
    return undefined;
  }

  async load(keyHash: string): Promise<KeyRecord | null> {
    const now = this.clock();
    const generation = this.generation;
    const row = await this.db.core
      .selectFrom('core.api_keys')
      .select(['id', 'platform_id', 'environment', 'revoked_at'])
      .where('key_hash', '=', keyHash)
      .executeTakeFirst();
    const record: KeyRecord | null = row
      ? { keyId: row.id, platformId: row.platform_id, environment: row.environment, isRevoked: row.revoked_at !== null }
      : null;
    // A revocation that landed while we were reading must win over what we read.
    if (generation === this.generation) {
      if (this.byHash.size >= maxEntries) this.evictOldest();
      this.byHash.set(keyHash, { record, loadedAt: now });
      if (record) this.hashById.set(record.keyId, keyHash);
    }
    return record;
  }

  private evictOldest(): void {
    const oldest = this.byHash.entries().next().value;
    if (!oldest) return;
    this.byHash.delete(oldest[0]);
    if (oldest[1].record) this.hashById.delete(oldest[1].record.keyId);
  }
}
