// The SDK's errors: one class per kind of failure, each carrying the API's error object (code, message, detail,
// request id) and the HTTP status. `code` is the API's catalogue as a union, so `switch (error.code)` narrows.
import type { ErrorCode } from './generated/error-codes.js';

export type { ErrorCode } from './generated/error-codes.js';

/** The API's codes, plus the SDK's own: a request that got no answer, a webhook that failed verification. */
export type PikErrorCode = ErrorCode | 'CONNECTION_ERROR' | 'CLIENT_TIMEOUT' | 'WEBHOOK_SIGNATURE_INVALID';

export interface PikErrorInit {
  status?: number | undefined;
  code: PikErrorCode;
  message: string;
  detail?: Record<string, unknown> | undefined;
  requestId?: string | undefined;
  headers?: Headers | undefined;
  cause?: unknown;
}

/** Every error the SDK throws is a PikError. */
export class PikError extends Error {
  /** The HTTP status; undefined when no answer arrived (ConnectionError). */
  readonly status: number | undefined;
  readonly code: PikErrorCode;
  /** The API's `detail`: the field at fault (`detail.field`), the values allowed, … */
  readonly detail: Record<string, unknown> | undefined;
  /** `req_…`: quote it to PIK support. */
  readonly requestId: string | undefined;
  readonly headers: Headers | undefined;

  constructor(init: PikErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status;
    this.code = init.code;
    this.detail = init.detail;
    this.requestId = init.requestId;
    this.headers = init.headers;
  }
}

/** 400 malformed input, 422 a business rule (and other 4xx a request can fix: 405, 408, 413, 415). */
export class InvalidRequestError extends PikError {}
/** 401: no key, a malformed or unknown key, a deleted or expired key. */
export class AuthenticationError extends PikError {}
/** 403: authenticated but not allowed (a restricted key, a missing capability, x-on-behalf-of where the platform must act). */
export class PermissionError extends PikError {}
/** 404: unknown, or belongs to someone else. */
export class NotFoundError extends PikError {}
/** 409: a state conflict (already active, reference taken, an Idempotency-Key still in use). */
export class ConflictError extends PikError {}
/** 429: rate limited; `retryAfterSeconds` says when to try again. */
export class RateLimitError extends PikError {
  readonly retryAfterSeconds: number | undefined;
  constructor(init: PikErrorInit & { retryAfterSeconds?: number | undefined }) {
    super(init);
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}
/** 5xx: PIK's side failed. Safe to retry (the SDK already did, maxRetries times). */
export class ApiError extends PikError {}
/** No answer: the connection failed or the request timed out (code CLIENT_TIMEOUT). */
export class ConnectionError extends PikError {}

/** The error class for an HTTP status. */
export function errorClassFor(status: number): new (init: PikErrorInit) => PikError {
  if (status === 401) return AuthenticationError;
  if (status === 403) return PermissionError;
  if (status === 404) return NotFoundError;
  if (status === 409) return ConflictError;
  if (status === 429) return RateLimitError;
  if (status >= 500) return ApiError;
  if (status >= 400) return InvalidRequestError;
  return PikError;
}
