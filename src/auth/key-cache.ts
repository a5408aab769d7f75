// Verified API keys held in memory, so authentication costs no database round trip; revocations arrive by NOTIFY.
import type { Environment } from '../lib/environments.ts';
import { IpAllowlist } from '../lib/ip-allowlist.ts';
import type { KeyPermissions } from '../lib/key-permissions.ts';
import type { Database } from '../db/database.ts';
import type { InvalidationBus } from '../db/invalidation.ts';

export interface KeyRecord {
  keyId: string;
  platformId: string;
  environment: Environment;
  isRevoked: boolean;
  /**
   * When the key stops working (ms since the epoch), or null. Held here so every process refuses it at that instant
   * by its own clock, with no query and no message needed: the row says when, and every process already has the row.
   */
  expiresAtMs: number | null;
  permissions: KeyPermissions;
  /** null: any address. Parsed once here; each request costs one Map lookup of its address (IpAllowlist). */
  allowlist: IpAllowlist | null;
}

interface KnownEntry {
  record: KeyRecord;
  loadedAt: number;
}

// Belt and braces behind NOTIFY: even a missed message cannot keep a deleted key alive longer than this.
const positiveTtlMs = 60_000;
// Unknown hashes are remembered briefly so a flood of well-formed fake keys does not become a flood of queries.
const negativeTtlMs = 10_000;

/**
 * Keys that exist (active or deleted). Only the database can add to them, so nobody outside can fill this.
 * Beyond it, the least recently loaded key is dropped and costs one query on its next use.
 */
export const maxKnownKeys = 100_000;
/**
 * Hashes found to belong to no key. Anyone can mint well-formed keys that pass the checksum, so these are kept apart
 * with a bound of their own: a flood of them evicts only older unknown hashes, never a key that exists.
 */
export const maxUnknownKeys = 10_000;

export class ApiKeyCache {
  private readonly known = new Map<string, KnownEntry>();
  /** hash → when it was found to belong to no key */
  private readonly unknown = new Map<string, number>();
  private readonly hashById = new Map<string, string>();
  private generation = 0;

  constructor(
    private readonly db: Database,
    bus: InvalidationBus,
    private readonly clock: () => number = Date.now,
    /** The clock expiry is decided by (the services' clock, which tests move); the cache's own TTLs keep `clock`. */
    readonly instant: () => number = clock,
  ) {
    bus.subscribe((message) => {
      this.generation++;
      if (message === null) {
        this.known.clear();
        this.unknown.clear();
        this.hashById.clear();
      } else if (message.kind === 'api_key') {
        const hash = this.hashById.get(message.keyId);
        if (hash) this.known.delete(hash);
        this.hashById.delete(message.keyId);
      }
    });
  }

  /**
   * The cached answer (a record, or null for "no such key"), or undefined when the key must be loaded.
   * Synchronous: the hot path awaits nothing on a hit.
   */
  cached(keyHash: string): KeyRecord | null | undefined {
    const known = this.known.get(keyHash);
    if (known !== undefined) return this.clock() - known.loadedAt < positiveTtlMs ? known.record : undefined;
    const missingSince = this.unknown.get(keyHash);
    if (missingSince !== undefined && this.clock() - missingSince < negativeTtlMs) return null;
    return undefined;
  }

  /**
   * Whether this hash was an active key when last loaded, however long ago: loading it again is a re-check of a key
   * someone really holds, not a guess (the failed-authentication limit lets it through).
   */
  isKnownActive(keyHash: string): boolean {
    return this.known.get(keyHash)?.record.isRevoked === false;
  }

  /** How many keys and unknown hashes are held (for tests and diagnostics). */
  size(): { known: number; unknown: number } {
    return { known: this.known.size, unknown: this.unknown.size };
  }

  async load(keyHash: string): Promise<KeyRecord | null> {
    const now = this.clock();
    const generation = this.generation;
    const row = await this.db.core
      .selectFrom('core.api_keys')
      .select(['id', 'platform_id', 'environment', 'revoked_at', 'expires_at', 'permissions', 'allowed_ips'])
      .where('key_hash', '=', keyHash)
      .executeTakeFirst();
    const record: KeyRecord | null = row
      ? {
          keyId: row.id,
          platformId: row.platform_id,
          environment: row.environment,
          isRevoked: row.revoked_at !== null,
          expiresAtMs: row.expires_at == null ? null : row.expires_at.getTime(),
          permissions: row.permissions ?? 'full',
          allowlist: row.allowed_ips == null || row.allowed_ips.length === 0 ? null : new IpAllowlist(row.allowed_ips),
        }
      : null;
    // A revocation that landed while we were reading must win over what we read.
    if (generation === this.generation) {
      if (record) this.rememberKnown(keyHash, record, now);
      else this.rememberUnknown(keyHash, now);
    }
    return record;
  }

  // Each map is kept in load order (an entry is moved to the end when reloaded), so the first entry is the one that
  // has gone longest without a load, and each bound evicts within its own map only.
  private rememberKnown(keyHash: string, record: KeyRecord, now: number): void {
    this.unknown.delete(keyHash);
    if (!this.known.delete(keyHash) && this.known.size >= maxKnownKeys) {
      const oldest = this.known.entries().next().value;
      if (oldest) {
        this.known.delete(oldest[0]);
        this.hashById.delete(oldest[1].record.keyId);
      }
    }
    this.known.set(keyHash, { record, loadedAt: now });
    this.hashById.set(record.keyId, keyHash);
  }

  private rememberUnknown(keyHash: string, now: number): void {
    const known = this.known.get(keyHash);
    if (known) {
      this.known.delete(keyHash);
      this.hashById.delete(known.record.keyId);
    }
    if (!this.unknown.delete(keyHash) && this.unknown.size >= maxUnknownKeys) {
      const oldest = this.unknown.keys().next().value;
      if (oldest !== undefined) this.unknown.delete(oldest);
    }
    this.unknown.set(keyHash, now);
  }
}
