// "Last used" for API keys, batched: a request never waits on a write, and the stored time is at most one flush stale.
import type { Deps } from '../domain/deps.ts';
import { recordKeyUsage, type KeyUsage } from '../domain/api-keys/api-keys.ts';

/** The latest use of one key since the last flush; updated in place, so a request allocates nothing here. */
interface PendingUsage {
  atMs: number;
  ip: string;
}

export class KeyUsageRecorder {
  private pending = new Map<string, PendingUsage>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: Deps,
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

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch: KeyUsage[] = [...this.pending].map(([keyId, usage]) => ({ keyId, ip: usage.ip, at: new Date(usage.atMs) }));
    this.pending = new Map();
    try {
      await recordKeyUsage(this.deps, batch);
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
