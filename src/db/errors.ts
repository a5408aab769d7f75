// Recognising PostgreSQL errors: those the domain turns into business outcomes, and those that mean the database is away.
import { ApiError } from '../lib/errors.ts';

/** 23505: a unique index refused the row — the loser of a race, or a genuine duplicate. */
export function isUniqueViolation(error: unknown, indexName?: string): boolean {
  const e = error as { code?: string; constraint?: string } | null;
  return e?.code === '23505' && (indexName === undefined || e.constraint === indexName);
}

/**
 * PostgreSQL's codes of a server that cannot serve now but may soon: its connection was closed by an administrator
 * (57P01 admin_shutdown, 57P02 crash_shutdown), it is starting (57P03 cannot_connect_now), the connection failed (class
 * 08), its disk is full (53100 disk_full; also 53000, 53200 insufficient resources), it has no connection slot left
 * (53300 too_many_connections: more processes or pools than max_connections), or an operator cancelled the statement
 * (57014 query_canceled, pg_cancel_backend; PIK sets no statement_timeout). A retry later may succeed.
 */
const unavailableCodes = new Set(['57P01', '57P02', '57P03', '57014', '53000', '53100', '53200', '53300']);
/** Node's socket errors on the way to the server. */
const socketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ENOSPC']);
/** pg's own messages for a connection that is gone, or a pool that gave up waiting for one (no code on these). */
const lostConnection = /^(Connection terminated|Client has encountered a connection error|Client was closed|timeout exceeded when trying to connect|Connection terminated due to connection timeout|Cannot use a pool after calling end)/;

/**
 * The one place that decides whether a database error means "the database is not available right now" — the server
 * went away (stopped, failed over, a backend terminated), is starting, or has no disk left — rather than a fault of the
 * statement. The edge answers these 503 SERVICE_UNAVAILABLE with Retry-After (src/http/errors.ts), never 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; errno?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e instanceof DatabaseUnavailableError) return true;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && (unavailableCodes.has(code) || code.startsWith('08') || socketCodes.has(code))) return true;
  if (typeof e.message === 'string' && lostConnection.test(e.message)) return true;
  // An AggregateError (a connect to several addresses) or a wrapped error: look one level in.
  if (e.cause && e.cause !== error) return isDatabaseUnavailable(e.cause);
  return false;
}

/** True when the database refused for want of disk: the operator's to fix, and worth its own sentence in the log. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '53100' || code === 'ENOSPC';
}

/** Thrown by our own code for the same condition (the readiness check, a start that waited too long). */
export class DatabaseUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

/** Seconds a client should wait before retrying while the database is away: reconnecting takes about that long. */
export const databaseRetryAfterSeconds = 1;

/**
 * The database went away (stopped, failed over, a backend terminated, no disk left): a transient outage on our side,
 * not a bug — 503 with Retry-After, so clients and load balancers retry rather than report a failure. Whatever the
 * request began rolled back with its transaction (or, if the connection dropped during COMMIT, a retry with the same
 * Idempotency-Key finds out which).
 */
export function databaseUnavailable(error: unknown): ApiError | undefined {
  if (!isDatabaseUnavailable(error)) return undefined;
  const message = isDiskFull(error)
    ? 'The database has no disk space left; retry after the number of seconds in Retry-After.'
    : 'The database is unavailable; retry after the number of seconds in Retry-After.';
  return new ApiError('SERVICE_UNAVAILABLE', message, undefined, { retryAfterSeconds: databaseRetryAfterSeconds });
}

