// Builds request-log segments in memory and writes them once a second, so an API request never waits on the log.
//
// Each request is encoded into its key's byte buffer the moment it is recorded. Keeping an object per request
// until the flush (tens of thousands a second under load) made each survive the young-generation collections and
// cost the garbage collector more than the rest of authentication; a line of bytes in a reused buffer costs nothing
// after the call.
import type { Environment } from '../../lib/environments.ts';
import type { Deps } from '../deps.ts';
import {
  compressRequestLogLines,
  fullRequestLogLine,
  pruneRequestLog,
  repeatRequestLogLine,
  storablePath,
  writeRequestLogSegments,
  type RequestLogSegment,
} from './request-log.ts';

// Bounded memory: if the database is down for long, requests beyond this are counted in `dropped` and not logged;
// the server itself never fails for its log.
const maxBufferedBytes = 32 * 1024 * 1024;
const pruneEveryMs = 10 * 60 * 1000;
const newline = 0x0a;

/** One interval's lines of one key, taken out of its KeyLog to be compressed. */
interface TakenLines {
  from: KeyLog;
  buffer: Buffer;
  used: number;
  segment: Omit<RequestLogSegment, 'entries'>;
}

/**
 * One key's requests since the last flush, in a byte buffer. Two buffers per key take turns: while one interval's
 * bytes are being compressed, the next interval fills the other. A busy key thus reaches a steady state with no
 * allocation at all; growing a fresh multi-megabyte buffer every second would add external memory that V8 answers
 * with full garbage collections.
 */
class KeyLog {
  private buffer: Buffer = Buffer.allocUnsafe(1024);
  private spare: Buffer | undefined;
  used = 0;
  count = 0;
  private firstAt = 0;
  private lastAt = 0;
  private lastRequestId = '';
  private accountIds = new Set<string>();

  constructor(
    readonly environment: Environment,
    readonly platformId: string,
    readonly keyId: string,
  ) {}

  // The fields of the last full line: a request that repeats them is written as a short line.
  private method = '';
  private path = '';
  private status = 0;
  private errorCode: string | null = null;
  private accountId: string | null = null;
  private onBehalfOf: string | null = null;

  /** Appends one request's line; returns the bytes it took. */
  append(
    requestId: string,
    atMs: number,
    method: string,
    path: string,
    status: number,
    errorCode: string | null,
    accountId: string | null,
    onBehalfOf: string | null,
  ): number {
    let line: string;
    if (
      this.count > 0 &&
      status === this.status &&
      path === this.path &&
      method === this.method &&
      accountId === this.accountId &&
      onBehalfOf === this.onBehalfOf &&
      errorCode === this.errorCode
    ) {
      line = repeatRequestLogLine(requestId, atMs);
    } else {
      line = fullRequestLogLine(requestId, atMs, method, path, status, errorCode, accountId, onBehalfOf);
      this.method = method;
      this.path = path;
      this.status = status;
      this.errorCode = errorCode;
      this.accountId = accountId;
      this.onBehalfOf = onBehalfOf;
      if (accountId !== null) this.accountIds.add(accountId);
    }
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
    return this.used - start;
  }

  /** This interval's lines; the log starts the next interval empty, in its spare buffer. */
  take(): TakenLines {
    const taken: TakenLines = {
      from: this,
      buffer: this.buffer,
      used: this.used,
      segment: {
        id: this.lastRequestId,
        environment: this.environment,
        platformId: this.platformId,
        keyId: this.keyId,
        accountIds: [...this.accountIds],
        firstAt: new Date(this.firstAt),
        lastAt: new Date(this.lastAt),
        entryCount: this.count,
      },
    };
    this.buffer = this.spare ?? Buffer.allocUnsafe(this.buffer.length);
    this.spare = undefined;
    this.used = 0;
    this.count = 0;
    this.lastAt = 0;
    this.accountIds = new Set();
    return taken;
  }

  /** A taken buffer whose bytes are compressed, to be filled again. */
  giveBack(buffer: Buffer): void {
    this.spare = buffer;
  }
}

async function compress(taken: TakenLines): Promise<RequestLogSegment> {
  // Without the last newline.
  const entries = await compressRequestLogLines(taken.buffer.subarray(0, taken.used - 1));
  return { ...taken.segment, entries };
}

export class RequestLogRecorder {
  // Per environment, then per key (a key belongs to one environment; this keeps a segment to one even if not).
  private readonly logs: Record<Environment, Map<string, KeyLog>> = { sandbox: new Map(), production: new Map() };
  private openBytes = 0;
  /** Closed segments not yet written (a failed write is retried with the same segment ids). */
  private unsaved: RequestLogSegment[] = [];
  private unsavedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private lastPruneAt = 0;
  /** Requests not logged because the buffer was full. */
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
    const logs = this.logs[environment];
    let log = logs.get(keyId);
    if (log === undefined) {
      log = new KeyLog(environment, platformId, keyId);
      logs.set(keyId, log);
    }
    this.openBytes += log.append(requestId, atMs, method, storablePath(path), status, errorCode, accountId, onBehalfOf);
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
    const taken: TakenLines[] = [];
    for (const logs of Object.values(this.logs)) {
      for (const [keyId, log] of logs) {
        // A key with nothing in a whole interval is forgotten, buffers and all, until it is used again.
        if (log.count === 0) logs.delete(keyId);
        else taken.push(log.take());
      }
    }
    try {
      // Their bytes count against the bound until they are compressed (record() may fill the next interval meanwhile).
      const closed = await Promise.all(taken.map(compress));
      this.unsaved.push(...closed);
      this.unsavedBytes += closed.reduce((sum, segment) => sum + segment.entries.length, 0);
    } catch (error) {
      // gzip does not fail on a buffer in memory; if it ever did, those requests are lost, never the server.
      this.dropped += taken.reduce((sum, t) => sum + t.segment.entryCount, 0);
      this.onError(error);
    } finally {
      this.openBytes -= taken.reduce((sum, t) => sum + t.used, 0);
      for (const t of taken) t.from.giveBack(t.buffer);
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
