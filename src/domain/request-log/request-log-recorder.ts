// Batches request-log rows in memory and writes them once a second, so an API request never waits on the log.
import type { Environment } from '../../config.ts';
import type { Deps } from '../deps.ts';
import { pruneRequestLog, writeRequestLog, type RequestLogEntry } from './request-log.ts';

// Bounded memory: if the database is down for long, the oldest unsaved entries are dropped, never the server.
const maxBuffered = 20_000;
const pruneEveryMs = 10 * 60 * 1000;

export class RequestLogRecorder {
  private buffer: RequestLogEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private lastPruneAt = 0;
  dropped = 0;

  constructor(
    private readonly deps: Deps,
    private readonly environments: readonly Environment[],
    private readonly flushEveryMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.flushEveryMs);
    this.timer.unref();
  }

  record(entry: RequestLogEntry): void {
    this.buffer.push(entry);
    if (this.buffer.length > maxBuffered) {
      const excess = this.buffer.length - maxBuffered;
      this.buffer.splice(0, excess);
      this.dropped += excess;
    }
  }

  /** Writes what is buffered; concurrent calls wait for the same write instead of racing it. */
  async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    const batch = this.buffer;
    this.buffer = [];
    try {
      if (batch.length > 0) await writeRequestLog(this.deps, batch);
      const now = Date.now();
      if (now - this.lastPruneAt > pruneEveryMs) {
        this.lastPruneAt = now;
        await pruneRequestLog(this.deps, this.environments);
      }
    } catch (error) {
      // Keep the batch for the next attempt (ids make a partial retry harmless); a lost log line must never fail a request.
      this.buffer = [...batch, ...this.buffer].slice(-maxBuffered);
      this.onError(error);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
