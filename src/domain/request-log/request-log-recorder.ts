// Builds request-log segments in memory and writes them once a second, so an API request never waits on the log.
//
// Each request is encoded into its key's byte buffer the moment it is recorded. Keeping an object per request
// until the flush (tens of thousands a second under load) made each survive the young-generation collections and
// cost the garbage collector more than the rest of authentication; a line of bytes in a reused buffer costs nothing
// after the call.
import type { Environment } from '../../config.ts';
import type { Deps } from '../deps.ts';
import { compressRequestLogLines, encodeRequestLogLine, pruneRequestLog, writeRequestLogSegments, type RequestLogSegment } from './request-log.ts';

// Bounded memory: if the database is down for long, requests beyond this are counted in `dropped` and not logged;
// the server itself never fails for its log.
const maxBufferedBytes = 32 * 1024 * 1024;
const pruneEveryMs = 10 * 60 * 1000;
const newline = 0x0a;

/** One key's requests since the last flush. */
class OpenSegment {
  buffer = Buffer.allocUnsafe(1024);
  used = 0;
  count = 0;
  firstAt = 0;
  lastAt = 0;
  lastRequestId = '';
  readonly accountIds = new Set<string>();

  constructor(
    readonly environment: Environment,
    readonly platformId: string,
    readonly keyId: string,
  ) {}

  /** Appends one line; returns the bytes it took. */
  append(line: string, requestId: string, atMs: number, accountId: string | null): number {
    // A UTF-16 code unit is at most 3 bytes of UTF-8, so this much room always holds the line and its newline.
    const room = line.length * 3 + 1;
    if (this.used + room > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.used + room));
      this.buffer.copy(grown, 0, 0, this.used);
      this.buffer = grown;
    }
    const start = this.used;
    this.used += this.buffer.write(line, this.used, 'utf8');
    this.buffer[this.used++] = newline;
    if (this.count === 0) this.firstAt = atMs;
    this.count++;
    this.lastAt = Math.max(this.lastAt, atMs);
    this.lastRequestId = requestId;
    if (accountId !== null) this.accountIds.add(accountId);
    return this.used - start;
  }

  async close(): Promise<RequestLogSegment> {
    return {
      id: this.lastRequestId,
      environment: this.environment,
      platformId: this.platformId,
      keyId: this.keyId,
      accountIds: [...this.accountIds],
      firstAt: new Date(this.firstAt),
      lastAt: new Date(this.lastAt),
      entryCount: this.count,
      entries: await compressRequestLogLines(this.buffer.subarray(0, this.used - 1)), // without the last newline
    };
  }
}

export class RequestLogRecorder {
  // Per environment, then per key (a key belongs to one environment; this keeps a segment to one even if not).
  private open = RequestLogRecorder.noSegments();
  private openBytes = 0;
  /** Closed segments not yet written (a failed write is retried with the same segment ids). */
  private unsaved: RequestLogSegment[] = [];
  private unsavedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private lastPruneAt = 0;
  /** Requests not logged because the buffer was full. */
  dropped = 0;

  private static noSegments(): Record<Environment, Map<string, OpenSegment>> {
    return { sandbox: new Map(), production: new Map() };
  }

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

  /** Positional rather than an entry object: this runs once per API request and should leave nothing behind. */
  record(
    environment: Environment,
    platformId: string,
    keyId: string,
    requestId: string,
    atMs: number,
    method: string,
    path: string,
    status: number,
    errorCode: string | null,
    accountId: string | null,
    onBehalfOf: string | null,
  ): void {
    if (this.openBytes + this.unsavedBytes >= maxBufferedBytes) {
      this.dropped++;
      return;
    }
    const segments = this.open[environment];
    let segment = segments.get(keyId);
    if (segment === undefined) {
      segment = new OpenSegment(environment, platformId, keyId);
      segments.set(keyId, segment);
    }
    const line = encodeRequestLogLine(requestId, atMs, method, path, status, errorCode, accountId, onBehalfOf);
    this.openBytes += segment.append(line, requestId, atMs, accountId);
  }

  /**
   * Writes everything recorded before the call. A write already in flight may have closed its segments before the
   * latest requests arrived, so it is waited for and followed by another, never merely joined.
   */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    const flushing = this.write().finally(() => {
      this.flushing = undefined;
    });
    this.flushing = flushing;
    return flushing;
  }

  private async write(): Promise<void> {
    const closing = [...this.open.sandbox.values(), ...this.open.production.values()];
    this.open = RequestLogRecorder.noSegments();
    try {
      // Their bytes count against the bound until they are compressed (record() may add new segments meanwhile).
      const closed = await Promise.all(closing.map((segment) => segment.close()));
      this.unsaved.push(...closed);
      this.unsavedBytes += closed.reduce((sum, segment) => sum + segment.entries.length, 0);
    } catch (error) {
      // gzip does not fail on a buffer in memory; if it ever did, those requests are lost, never the server.
      this.dropped += closing.reduce((sum, segment) => sum + segment.count, 0);
      this.onError(error);
    } finally {
      this.openBytes -= closing.reduce((sum, segment) => sum + segment.used, 0);
    }
    const batch = this.unsaved;
    if (batch.length === 0) return this.prune();
    try {
      await writeRequestLogSegments(this.deps, batch);
      // Flushes never overlap and record() only touches open segments, so the batch was all that was unsaved.
      this.unsaved = [];
      this.unsavedBytes = 0;
    } catch (error) {
      // Kept, under the same ids, for the next attempt; a lost log line must never fail a request.
      this.onError(error);
      return;
    }
    await this.prune();
  }

  private async prune(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPruneAt < pruneEveryMs) return;
    this.lastPruneAt = now;
    try {
      await pruneRequestLog(this.deps, this.environments);
    } catch (error) {
      this.onError(error);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
