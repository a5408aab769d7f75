// "Last used" for API keys, batched: a request never waits on a write, and the stored time is at most one flush stale.
import { sql } from 'kysely';
import type { Database } from '../db/database.ts';

export interface KeyUsage {
  keyId: string;
  at: Date;
  ip: string;
}

/** One statement for a whole batch of "last used" updates, however many keys it covers. */
export async function recordKeyUsage(db: Database, usages: KeyUsage[]): Promise<void> {
  if (usages.length === 0) return;
  const rows = sql.join(usages.map((u) => sql`(${u.keyId}, ${u.at.toISOString()}::timestamptz, ${u.ip})`));
  await sql`
    update core.api_keys as k set last_used_at = v.at, last_used_ip = v.ip
    from (values ${rows}) as v(id, at, ip)
    where k.id = v.id and (k.last_used_at is null or k.last_used_at < v.at)
  `.execute(db.core);
}

/** The latest use of one key since the last flush; updated in place, so a request allocates nothing here. */
interface PendingUsage {
  atMs: number;
  ip: string;
}

export class KeyUsageRecorder {
  private pending = new Map<string, PendingUsage>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly flushEveryMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushEveryMs);
    this.timer.unref();
  }

  record(keyId: string, ip: string): void {
    const usage = this.pending.get(keyId);
    if (usage === undefined) this.pending.set(keyId, { atMs: Date.now(), ip });
    else {
      usage.atMs = Date.now();
      usage.ip = ip;
    }
  }

  /**
   * A key as stored, with this process's use of it not written yet: "last used" shows a use at once, not after the
   * next flush. (Other server processes' uses arrive with their own flushes.)
   */
  withPending<T extends { id: string; last_used_at: Date | null; last_used_ip: string | null }>(key: T): T {
    const usage = this.pending.get(key.id);
    if (usage === undefined || (key.last_used_at !== null && key.last_used_at.getTime() >= usage.atMs)) return key;
    return { ...key, last_used_at: new Date(usage.atMs), last_used_ip: usage.ip };
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch: KeyUsage[] = [...this.pending].map(([keyId, usage]) => ({ keyId, ip: usage.ip, at: new Date(usage.atMs) }));
    this.pending = new Map();
    try {
      await recordKeyUsage(this.db, batch);
    } catch (error) {
      // Put the batch back unless newer usage arrived meanwhile; losing "last used" must never fail a request.
      for (const usage of batch) if (!this.pending.has(usage.keyId)) this.pending.set(usage.keyId, { atMs: usage.at.getTime(), ip: usage.ip });
      this.onError(error);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
