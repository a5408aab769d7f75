// The API request log the dashboard shows per key and per connected account: metadata only — never a body,
// a header value other than a validated x-on-behalf-of account id, or a query string.
//
// Stored as segments: one row per key per flush interval, its requests as gzipped JSON lines (migration 0005).
// Writing a row per request cost more than authenticating the request; a segment costs one row a second per active
// key, and it is compressed on libuv's thread pool, so neither the server's thread nor the database compresses it.
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import { sql } from 'kysely';
import type { Environment } from '../../lib/environments.ts';
import { hasKeyInUrlText } from '../../lib/url-keys.ts';
import type { Deps } from '../deps.ts';

/** One logged request, as the dashboard reads it. */
export interface RequestLogRow {
  id: string;
  platform_id: string;
  key_id: string;
  /** The connected account the request acted on (x-on-behalf-of or the path), null for the platform itself. */
  account_id: string | null;
  /** A validated account id, 'invalid' for any other value sent, null when the header was absent. */
  on_behalf_of: string | null;
  method: string;
  path: string;
  status: number;
  error_code: string | null;
  created_at: Date;
}

/** A segment ready to be written: what the recorder built from one key's requests. */
export interface RequestLogSegment {
  /** The newest request's id: unique, and stable across retries of the same write. */
  id: string;
  environment: Environment;
  platformId: string;
  keyId: string;
  accountIds: string[];
  firstAt: Date;
  lastAt: Date;
  entryCount: number;
  /** Lines (see fullRequestLogLine), oldest first, separated by newlines, gzipped. */
  entries: Buffer;
}

const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

/**
 * The stored form of a segment's lines: gzip at level 1 (on repetitive lines it already saves ~95 %, at a fraction of
 * the CPU), with a window no larger than the segment and zlib's working memory sized to match. At zlib's defaults every
 * segment took about 256 KB outside V8's heap however few its lines, and each flush compresses one segment per key in
 * use: under load from many keys that was megabytes a second, which made V8 run a full collection about every second.
 * The output is the same size on these lines; any gunzip reads any window size.
 */
export function compressRequestLogLines(lines: Buffer): Promise<Buffer> {
  const windowBits = Math.min(15, Math.max(10, Math.ceil(Math.log2(lines.length + 1))));
  return gzip(lines, { level: 1, windowBits, memLevel: windowBits - 7 });
}

/** What is stored and shown instead of a path that holds an API key in any encoding (see lib/url-keys.ts). */
export const redactedRequestPath = '[REDACTED: key in URL]';

/**
 * The path as it may be stored or shown. The edge already refuses such URLs and never logs them; this holds the line
 * for any other caller, and for lines stored before keys were recognised in every encoding.
 */
export function storablePath(path: string): string {
  return hasKeyInUrlText(path) ? redactedRequestPath : path;
}

export const requestLogRetentionMs = 7 * 24 * 3600 * 1000;

/**
 * The lines of a segment, oldest first. A full line is [request_id, epoch_ms, method, path, status, error_code,
 * account_id, on_behalf_of]; a request whose other fields all equal the line before it (the usual case: a client
 * repeating one call) is the short line [request_id, epoch_ms]. A segment's first line is always full.
 */
export function fullRequestLogLine(
  requestId: string,
  atMs: number,
  method: string,
  path: string,
  status: number,
  errorCode: string | null,
  accountId: string | null,
  onBehalfOf: string | null,
): string {
  return JSON.stringify([requestId, atMs, method, path, status, errorCode, accountId, onBehalfOf]);
}

export function repeatRequestLogLine(requestId: string, atMs: number): string {
  return JSON.stringify([requestId, atMs]);
}

type FullLine = [string, number, string, string, number, string | null, string | null, string | null];
type Line = FullLine | [string, number];

interface StoredSegment {
  platform_id: string;
  key_id: string;
  entries: Buffer;
}

/**
 * The newest `limit` requests of a segment that `keep` accepts, newest first. Lines are decoded from the end and
 * only as far as needed (a busy key's segment holds tens of thousands): short lines wait for the full line before
 * them, whose fields they share.
 */
async function decodeSegment(segment: StoredSegment, limit: number, keep: (accountId: string | null) => boolean): Promise<RequestLogRow[]> {
  const lines = (await gunzip(segment.entries)).toString('utf8').split('\n');
  const rows: RequestLogRow[] = [];
  let waiting: [string, number][] = [];
  for (let i = lines.length - 1; i >= 0 && rows.length < limit; i--) {
    const line = JSON.parse(lines[i]!) as Line;
    if (line.length === 2) {
      waiting.push(line);
      continue;
    }
    const [, , method, path, status, errorCode, accountId, onBehalfOf] = line;
    if (!keep(accountId)) {
      waiting = [];
      continue;
    }
    const shownPath = storablePath(path);
    for (const [id, atMs] of [...waiting, line]) {
      rows.push({
        id,
        platform_id: segment.platform_id,
        key_id: segment.key_id,
        account_id: accountId,
        on_behalf_of: onBehalfOf,
        method,
        path: shownPath,
        status,
        error_code: errorCode,
        created_at: new Date(atMs),
      });
    }
    waiting = [];
  }
  return rows.slice(0, limit);
}

/** Writes segments, one insert per environment; a segment written before (a retry) is skipped. */
export async function writeRequestLogSegments(deps: Deps, segments: readonly RequestLogSegment[]): Promise<void> {
  for (const environment of new Set(segments.map((s) => s.environment))) {
    const rows = segments
      .filter((s) => s.environment === environment)
      .map((s) => ({
        id: s.id,
        platform_id: s.platformId,
        key_id: s.keyId,
        account_ids: s.accountIds,
        first_at: s.firstAt,
        last_at: s.lastAt,
        entry_count: s.entryCount,
        // As base64 text decoded by the database: a bytea parameter travels as hex, which the embedded database
        // parses an order of magnitude more slowly, on the server's own thread.
        entries: sql<Buffer>`decode(${s.entries.toString('base64')}, 'base64')`,
      }));
    for (let i = 0; i < rows.length; i += 500) {
      await deps.db
        .env(environment)
        .insertInto('request_log_segments')
        .values(rows.slice(i, i + 500))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
  }
}

export async function pruneRequestLog(deps: Deps, environments: readonly Environment[]): Promise<void> {
  const cutoff = new Date(deps.now().getTime() - requestLogRetentionMs);
  for (const environment of environments) {
    await deps.db.env(environment).deleteFrom('request_log_segments').where('last_at', '<', cutoff).execute();
  }
}

export interface RequestLogQuery {
  platformId: string;
  environment: Environment;
  keyId?: string | undefined;
  accountId?: string | undefined;
  limit?: number | undefined;
}

// Pages start small and grow: a busy key fills the limit from its newest segment alone.
const firstPageSegments = 4;
const maxPageSegments = 64;
// A dashboard page reads at most this many segments, however sparse the account's requests are among them.
const maxSegmentsRead = 2000;

function newestFirst(a: RequestLogRow, b: RequestLogRow): number {
  return b.created_at.getTime() - a.created_at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/**
 * The latest requests of one key or one connected account, always within the caller's platform, newest first.
 * Segments are read newest first (by their last request) until no unread segment can hold a request newer than
 * the oldest one kept: segments of different server processes may overlap in time, so the order is settled here.
 */
export async function listRequestLog(deps: Deps, query: RequestLogQuery): Promise<RequestLogRow[]> {
  const limit = Math.min(Math.max(query.limit ?? 100, 1), 500);
  const keep = query.accountId ? (accountId: string | null) => accountId === query.accountId : () => true;
  let rows: RequestLogRow[] = [];
  let after: { lastAt: Date; id: string } | undefined;
  let pageSize = firstPageSegments;
  for (let read = 0; read < maxSegmentsRead; read += pageSize, pageSize = Math.min(pageSize * 2, maxPageSegments)) {
    let select = deps.db
      .env(query.environment)
      .selectFrom('request_log_segments')
      .select(['id', 'platform_id', 'key_id', 'last_at', 'entries'])
      .where('platform_id', '=', query.platformId);
    if (query.keyId) select = select.where('key_id', '=', query.keyId);
    if (query.accountId) select = select.where('account_ids', '@>', sql<string[]>`array[${query.accountId}]::text[]`);
    if (after) {
      const cursor = after;
      select = select.where((eb) => eb.or([eb('last_at', '<', cursor.lastAt), eb.and([eb('last_at', '=', cursor.lastAt), eb('id', '<', cursor.id)])]));
    }
    const page = await select.orderBy('last_at', 'desc').orderBy('id', 'desc').limit(pageSize).execute();
    for (const segment of page) rows.push(...(await decodeSegment(segment, limit, keep)));
    rows = rows.sort(newestFirst).slice(0, limit);
    const last = page.at(-1);
    if (!last || page.length < pageSize) break;
    // Every unread segment ended no later than this one: once the oldest request kept is newer, none can displace it.
    if (rows.length === limit && rows[limit - 1]!.created_at > last.last_at) break;
    after = { lastAt: last.last_at, id: last.id };
  }
  return rows;
}
