// The one error type and the one catalogue of error codes: every code, its HTTP status and default message.
// It sits in lib, below every layer, so lib's parsers, auth's outcomes, the domain and the edge all name codes from it.

const catalogue = {
  // 400 — malformed input
  INVALID_REQUEST: { status: 400, message: 'The request is not valid; see detail.field.' },
  INVALID_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  INVALID_AMOUNT: { status: 400, message: 'The amount is not a valid decimal string for this currency.' },
  UNSUPPORTED_CURRENCY: { status: 400, message: 'The currency is not supported.' },
  API_KEY_IN_URL: {
    status: 400,
    message:
      'An API key was sent in the URL. Send it only in the Authorization header; the key has been flagged as exposed and should be rotated.',
  },
  INVALID_ON_BEHALF_OF: { status: 400, message: 'The x-on-behalf-of header must be a single account id (acct_…).' },
  ON_BEHALF_OF_MISMATCH: { status: 400, message: 'The account id in the path must equal the x-on-behalf-of header.' },
  INVALID_CURSOR: { status: 400, message: 'The cursor is not valid for this list.' },
  UNKNOWN_CAPABILITY: { status: 400, message: 'Unknown capability.' },
  PASSWORD_TOKEN_INVALID: { status: 400, message: 'This link is not valid: it was already used, has expired, or was replaced. Ask for a new one.' },
  INVALID_IDEMPOTENCY_KEY: { status: 400, message: 'The Idempotency-Key must be 1 to 255 printable ASCII characters.' },
  INVALID_WEBHOOK_URL: { status: 400, message: 'This URL cannot receive webhooks; detail.reason says why.' },
  UNKNOWN_EVENT_TYPE: { status: 400, message: 'Unknown event type; detail.valid lists the event types (or use "*" for all).' },
  UNSUPPORTED_CURRENCY_PAIR: { status: 400, message: 'PIK does not convert between these currencies; detail.supported lists the currencies, and the two must differ.' },
  QUOTE_MISMATCH: { status: 400, message: 'The request does not match the quote (see detail.field); send the quote\'s currencies and amount, or convert at the current rate.' },
  HEADER_REPEATED: { status: 400, message: 'A header that takes one value was sent more than once (see detail.header); send it once.' },
  // 401 — authentication
  API_KEY_MISSING: { status: 401, message: 'No API key. Send it as "Authorization: Bearer <api key>".' },
  AUTHORIZATION_MALFORMED: { status: 401, message: 'The Authorization header must be "Bearer <api key>".' },
  INVALID_API_KEY: { status: 401, message: 'The API key is not valid. Check that you copied it whole.' },
  API_KEY_REVOKED: { status: 401, message: 'The API key has been deleted. Use an active key.' },
  API_KEY_EXPIRED: { status: 401, message: 'The API key has expired (see detail.expired_at). Use its successor or another active key.' },
  SECRET_SCANNING_SIGNATURE_INVALID: { status: 401, message: 'The report is not signed by a known secret-scanning public key.' },
  API_KEY_ENVIRONMENT_MISMATCH: { status: 401, message: 'This deployment does not serve the environment of this API key.' },
  OPERATOR_TOKEN_INVALID: { status: 401, message: 'A valid operator token is required.' },
  SIGN_IN_FAILED: { status: 401, message: 'The email or password is not correct.' },
  SESSION_REQUIRED: { status: 401, message: 'Your session has ended. Sign in again.' },
  // 403 — authenticated but not allowed
  PLATFORM_SCOPE_REQUIRED: { status: 403, message: 'This operation is for the platform itself; call it without x-on-behalf-of.' },
  KEY_PERMISSION_DENIED: { status: 403, message: 'This API key is restricted and lacks the permission this request needs (detail.required).' },
  IP_NOT_ALLOWED: { status: 403, message: "This API key does not accept requests from this address (detail.ip); see the key's allowed_ips." },
  ACCOUNT_NOT_VERIFIED: { status: 403, message: 'The account is not verified yet.' },
  CAPABILITY_NOT_ACTIVATED: { status: 403, message: 'The account does not have this capability activated.' },
  SANDBOX_ONLY: { status: 403, message: 'This endpoint exists only in sandbox; use a sandbox key.' },
  PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR: {
    status: 403,
    message: "The platform account's verification and capabilities are managed by PIK; name a connected account instead.",
  },
  CSRF_TOKEN_INVALID: { status: 403, message: 'This form has expired or did not come from the dashboard. Reload the page and try again.' },
  PASSWORD_INCORRECT: { status: 403, message: 'The password is not correct.' },
  OWNER_REQUIRED: { status: 403, message: 'Only the owner of the platform can do this.' },
  // 404
  ROUTE_NOT_FOUND: { status: 404, message: 'No such endpoint.' },
  ACCOUNT_NOT_FOUND: { status: 404, message: 'No such account.' },
  PLATFORM_NOT_FOUND: { status: 404, message: 'No such platform.' },
  API_KEY_NOT_FOUND: { status: 404, message: 'No such API key.' },
  USER_NOT_FOUND: { status: 404, message: 'No such user.' },
  PAGE_NOT_FOUND: { status: 404, message: 'No such page.' },
  PAYOUT_NOT_FOUND: { status: 404, message: 'No such payout.' },
  TRANSFER_NOT_FOUND: { status: 404, message: 'No such transfer.' },
  WEBHOOK_ENDPOINT_NOT_FOUND: { status: 404, message: 'No such webhook endpoint.' },
  EVENT_NOT_FOUND: { status: 404, message: 'No such event.' },
  PAYMENT_LINK_NOT_FOUND: { status: 404, message: 'No such payment link.' },
  PAYMENT_NOT_FOUND: { status: 404, message: 'No such payment.' },
  UNMATCHED_FUNDS_NOT_FOUND: { status: 404, message: 'No such unmatched funds.' },
  QUOTE_NOT_FOUND: { status: 404, message: 'No such quote for the account in scope.' },
  CONVERSION_NOT_FOUND: { status: 404, message: 'No such conversion.' },
  VIRTUAL_ACCOUNT_NOT_FOUND: { status: 404, message: 'This account has no active virtual account; issue one with POST.' },
  // 405, 408, 409, 413, 415, 417, 431
  METHOD_NOT_ALLOWED: { status: 405, message: 'This endpoint does not accept that method.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive in time; send it again.' },
  EXPECTATION_FAILED: { status: 417, message: 'Only "Expect: 100-continue" is supported.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request line and headers are too large: 16 KB at most.' },
  REFERENCE_ID_CONFLICT: { status: 409, message: 'Another account of this platform already has this reference_id.' },
  EMAIL_TAKEN: { status: 409, message: 'A user with this email already exists.' },
  API_KEY_ALREADY_DELETED: { status: 409, message: 'The API key is already deleted.' },
  API_KEY_ALREADY_ROLLED: { status: 409, message: 'The API key was already rolled (see detail.successor_id); roll the successor instead.' },
  API_KEY_ALREADY_EXPIRED: { status: 409, message: 'The API key has already expired; generate a new key instead.' },
  VERIFICATION_ALREADY_SUBMITTED: {
    status: 409,
    message: 'Identity was already submitted for this account and is pending or approved; wait for the decision.',
  },
  VERIFICATION_REJECTED: { status: 409, message: 'Verification of this account was rejected; it cannot be resubmitted. Create a new account if appropriate.' },
  VERIFICATION_NOT_PENDING: {
    status: 409,
    message:
      'This decision is not possible from the current verification status: pending accounts can be approved, rejected or sent back (action_required); approved accounts can only be rejected or sent back.',
  },
  CAPABILITY_ALREADY_ACTIVE: { status: 409, message: 'The capability is already active.' },
  CAPABILITY_NOT_ACTIVE: { status: 409, message: 'The capability is not active.' },
  // 422 — business rule
  KYC_REQUIRES_INDIVIDUAL: { status: 422, message: 'KYC is for individual accounts; submit business identity with POST /accounts/{id}/kyb.' },
  KYB_REQUIRES_BUSINESS: { status: 422, message: 'KYB is for business accounts; submit individual identity with POST /accounts/{id}/kyc.' },
  DUPLICATE_REFERENCE: { status: 409, message: 'This reference was already used for a movement of this account; a reference names one movement, forever.' },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, message: 'A request with this Idempotency-Key is still being processed; retry shortly.' },
  PAYOUT_NOT_PENDING: {
    status: 409,
    message: 'The payout was already decided otherwise (see detail.status); a completed or failed payout cannot change. Repeating the same decision returns the payout.',
  },
  VIRTUAL_ACCOUNT_EXISTS: { status: 409, message: 'This account already has an active virtual account; read it with GET or release it with DELETE.' },
  PAYMENT_ALREADY_SETTLED: {
    status: 409,
    message: 'The payment is no longer open (see detail.status): only an underpaid payment can be accepted, and only an open payment can be simulated.',
  },
  PAYMENT_LINK_NOT_ACTIVE: { status: 409, message: 'The payment link is no longer active (see detail.status); it cannot change.' },
  UNMATCHED_FUNDS_RESOLVED: { status: 409, message: 'These funds were already assigned or returned (see detail.status).' },
  WEBHOOK_ENDPOINT_DISABLED: { status: 409, message: 'The webhook endpoint is disabled; enable it (PATCH status "enabled") first.' },
  BACKUP_NOT_EMBEDDED: {
    status: 409,
    message: 'This server runs on PostgreSQL (DATABASE_URL): back it up with pg_dump or your provider\'s backups; `pik backup` is for the embedded database.',
  },
  WEBHOOK_ENDPOINT_LIMIT: { status: 409, message: 'This platform has the most webhook endpoints an environment allows (16); delete one first.' },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  CANNOT_REMOVE_USER: { status: 422, message: 'The owner cannot be removed, and nobody can remove themselves.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the request body as application/json.' },
  // 422 — business rules
  INSUFFICIENT_BALANCE: { status: 422, message: 'The available balance is too low for this amount.' },
  QUOTE_EXPIRED: { status: 422, message: 'The quote has expired; request a new quote.' },
  QUOTE_ALREADY_USED: { status: 422, message: 'The quote was already used for a conversion; a quote converts once. Request a new quote.' },
  BELOW_MINIMUM_AMOUNT: { status: 422, message: 'The amount is below the smallest conversion in this currency (see detail.minimum).' },
  ABOVE_MAXIMUM_AMOUNT: { status: 422, message: 'The amount is above the largest conversion in this currency (see detail.maximum); split it.' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, message: 'This Idempotency-Key was already used with a different request; use a new key.' },
  // 429, 5xx
  RATE_LIMITED: { status: 429, message: 'Too many requests; retry after the number of seconds in Retry-After.' },
  AUTHENTICATION_THROTTLED: {
    status: 429,
    message: 'Too many requests from this address failed authentication; check your API key, then retry after the number of seconds in Retry-After.',
  },
  SIGN_IN_THROTTLED: { status: 429, message: 'Too many failed sign-in attempts. Wait 15 minutes, then try again.' },
  INTERNAL_ERROR: { status: 500, message: 'Something went wrong on our side. Retry later; quote the request_id if it persists.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The service is starting or stopping, or its database is unavailable; retry shortly.' },
  RATES_UNAVAILABLE: { status: 503, message: 'No current rate for this currency pair; retry after the number of seconds in Retry-After.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof catalogue;

/** Every code with its status and default message, read-only: for generated artefacts (the SDK's code union). */
export const errorCatalogue: Readonly<Record<ErrorCode, { readonly status: number; readonly message: string }>> = catalogue;

export function statusOf(code: ErrorCode): number {
  return catalogue[code].status;
}

export class ApiError extends Error {
  readonly status: number;
  /** Sent as Retry-After with the answer (RATES_UNAVAILABLE): when trying again may succeed. */
  readonly retryAfterSeconds: number | undefined;

  /**
   * `status` overrides the catalogue's for the one rule that needs it: a header sent twice is a malformed request (400)
   * whatever code names the header — two Authorization headers are 400 AUTHORIZATION_MALFORMED, while a badly formatted
   * one stays the seed's 401.
   */
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly detail?: Record<string, unknown>,
    options?: { status?: 400; retryAfterSeconds?: number },
  ) {
    super(message ?? catalogue[code].message);
    this.name = 'ApiError';
    this.status = options?.status ?? catalogue[code].status;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/** Shorthand for the common "field X is wrong" case, so every validation error names its field the same way. */
export function invalidField(field: string, message: string): ApiError {
  return new ApiError('INVALID_REQUEST', message, { field });
}
