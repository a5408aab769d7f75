// The one error type and the one catalogue of error codes: every code, its HTTP status, default message and remedy.
// It sits in lib, below every layer, so lib's parsers, auth's outcomes, the domain and the edge all name codes from it.

const catalogue = {
  // 400 — malformed input
  INVALID_REQUEST: { status: 400, message: 'The request is not valid; see detail.field.', remedy: 'Read detail.field (and the message): fix that field, header or parameter, then send the request again.' },
  INVALID_JSON: { status: 400, message: 'The request body is not valid JSON.', remedy: 'Send a well-formed JSON object as the body, with Content-Type: application/json; nest at most 32 levels.' },
  INVALID_AMOUNT: { status: 400, message: 'The amount is not a valid decimal string for this currency.', remedy: 'Send the amount as a decimal string with at most the currency\'s decimal places ("100.00", never a number).' },
  UNSUPPORTED_CURRENCY: { status: 400, message: 'The currency is not supported.', remedy: 'Use one of the currencies in detail.supported.' },
  API_KEY_IN_URL: {
    status: 400,
    message:
      'An API key was sent in the URL. Send it only in the Authorization header; the key has been flagged as exposed and should be rotated.',
    remedy: 'Roll the key now (it may be in logs and histories), and send keys only in the Authorization header.',
  },
  INVALID_ON_BEHALF_OF: { status: 400, message: 'The x-on-behalf-of header must be a single account id (acct_…).', remedy: 'Send x-on-behalf-of once, with one account id (acct_…), or leave it out to act as the platform.' },
  ON_BEHALF_OF_MISMATCH: { status: 400, message: 'The account id in the path must equal the x-on-behalf-of header.', remedy: 'Use the same account id in the path and in x-on-behalf-of, or leave the header out.' },
  INVALID_CURSOR: { status: 400, message: 'The cursor is not valid for this list.', remedy: 'Pass next_cursor exactly as the previous page returned it, to the same list with the same filters; or start again without a cursor.' },
  UNKNOWN_CAPABILITY: { status: 400, message: 'Unknown capability.', remedy: 'Use one of the capability names in detail.valid.' },
  PASSWORD_TOKEN_INVALID: { status: 400, message: 'This link is not valid: it was already used, has expired, or was replaced. Ask for a new one.', remedy: 'Ask for a new link (an owner can resend the invitation, or use "forgot password").' },
  INVALID_IDEMPOTENCY_KEY: { status: 400, message: 'The Idempotency-Key must be 1 to 255 printable ASCII characters.', remedy: 'Send one Idempotency-Key of 1 to 255 printable ASCII characters (a UUID is a good choice).' },
  INVALID_WEBHOOK_URL: { status: 400, message: 'This URL cannot receive webhooks; detail.reason says why.', remedy: 'Use a public https URL that resolves to a public address; detail.reason says what is wrong with this one.' },
  UNKNOWN_EVENT_TYPE: { status: 400, message: 'Unknown event type; detail.valid lists the event types (or use "*" for all).', remedy: 'Subscribe to event types listed in detail.valid, or to "*" for all.' },
  UNSUPPORTED_CURRENCY_PAIR: { status: 400, message: 'PIK does not convert between these currencies; detail.supported lists the currencies, and the two must differ.', remedy: 'Convert between two different currencies from detail.supported.' },
  QUOTE_MISMATCH: { status: 400, message: 'The request does not match the quote (see detail.field); send the quote\'s currencies and amount, or convert at the current rate.', remedy: 'Send the quote\'s own currencies and amount (detail.field names the one that differs), or leave the quote out.' },
  HEADER_REPEATED: { status: 400, message: 'A header that takes one value was sent more than once (see detail.header); send it once.', remedy: 'Send the header named in detail.header once.' },
  // 401 — authentication
  API_KEY_MISSING: { status: 401, message: 'No API key. Send it as "Authorization: Bearer <api key>".', remedy: 'Send your key as "Authorization: Bearer pik_test_…" (sandbox) or "pik_live_…" (production).' },
  AUTHORIZATION_MALFORMED: { status: 401, message: 'The Authorization header must be "Bearer <api key>".', remedy: 'Send exactly one header "Authorization: Bearer <api key>", with one space and nothing else.' },
  INVALID_API_KEY: { status: 401, message: 'The API key is not valid. Check that you copied it whole.', remedy: 'Check that the key was copied whole and belongs to this deployment; create a new key in the dashboard if it is lost.' },
  API_KEY_REVOKED: { status: 401, message: 'The API key has been deleted. Use an active key.', remedy: 'Use another active key of the platform, or create one in the dashboard.' },
  API_KEY_EXPIRED: { status: 401, message: 'The API key has expired (see detail.expired_at). Use its successor or another active key.', remedy: 'Use the key that replaced it (after a roll) or create a new key.' },
  SECRET_SCANNING_SIGNATURE_INVALID: { status: 401, message: 'The report is not signed by a known secret-scanning public key.', remedy: 'Sign the report with a key published by your secret-scanning provider.' },
  API_KEY_ENVIRONMENT_MISMATCH: { status: 401, message: 'This deployment does not serve the environment of this API key.', remedy: 'Use a key of an environment this deployment serves (a sandbox key on a sandbox deployment).' },
  OPERATOR_TOKEN_INVALID: { status: 401, message: 'A valid operator token is required.', remedy: 'Send the operator token (PIK_OPERATOR_TOKEN or the operator-token file) as "Authorization: Bearer <token>".' },
  SIGN_IN_FAILED: { status: 401, message: 'The email or password is not correct.', remedy: 'Check the email and password and try again, or reset the password.' },
  SESSION_REQUIRED: { status: 401, message: 'Your session has ended. Sign in again.', remedy: 'Sign in to the dashboard again.' },
  // 403 — authenticated but not allowed
  PLATFORM_SCOPE_REQUIRED: { status: 403, message: 'This operation is for the platform itself; call it without x-on-behalf-of.', remedy: 'Call this endpoint without x-on-behalf-of (as the platform).' },
  KEY_PERMISSION_DENIED: { status: 403, message: 'This API key is restricted and lacks the permission this request needs (detail.required).', remedy: 'Use a key with the permission in detail.required, or give this key that permission in the dashboard.' },
  IP_NOT_ALLOWED: { status: 403, message: "This API key does not accept requests from this address (detail.ip); see the key's allowed_ips.", remedy: 'Call from an address in the key\'s allowed_ips, or add detail.ip to that list.' },
  ACCOUNT_NOT_VERIFIED: { status: 403, message: 'The account is not verified yet.', remedy: 'Complete verification first (POST /accounts/{id}/kyc or /kyb) and wait for account.verification.updated with status approved.' },
  CAPABILITY_NOT_ACTIVATED: { status: 403, message: 'The account does not have this capability activated.', remedy: 'Request the capability (POST /accounts/{id}/capabilities/{name}) once the account is verified.' },
  SANDBOX_ONLY: { status: 403, message: 'This endpoint exists only in sandbox; use a sandbox key.', remedy: 'Call this endpoint with a sandbox key (pik_test_…).' },
  PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR: {
    status: 403,
    message: "The platform account's verification and capabilities are managed by PIK; name a connected account instead.",
    remedy: 'Name a connected account; ask PIK to change the platform account itself.',
  },
  CSRF_TOKEN_INVALID: { status: 403, message: 'This form has expired or did not come from the dashboard. Reload the page and try again.', remedy: 'Reload the dashboard page and submit the form again.' },
  PASSWORD_INCORRECT: { status: 403, message: 'The password is not correct.', remedy: 'Enter your current password correctly.' },
  OWNER_REQUIRED: { status: 403, message: 'Only the owner of the platform can do this.', remedy: 'Ask the platform\'s owner to do it.' },
  // 404
  ROUTE_NOT_FOUND: { status: 404, message: 'No such endpoint.', remedy: 'Check the method and path against the API reference (/docs); every path starts with /api/v1.' },
  ACCOUNT_NOT_FOUND: { status: 404, message: 'No such account.', remedy: 'Check the account id; it must be your platform or one of its connected accounts in the key\'s environment.' },
  PLATFORM_NOT_FOUND: { status: 404, message: 'No such platform.', remedy: 'Check the platform id (plat_…).' },
  API_KEY_NOT_FOUND: { status: 404, message: 'No such API key.', remedy: 'Check the key id (key_…); list the platform\'s keys to find it.' },
  USER_NOT_FOUND: { status: 404, message: 'No such user.', remedy: 'Check the user id; list the platform\'s team to find it.' },
  PAGE_NOT_FOUND: { status: 404, message: 'No such page.', remedy: 'Check the address.' },
  PAYOUT_NOT_FOUND: { status: 404, message: 'No such payout.', remedy: 'Check the payout id, and that it belongs to the account in scope.' },
  TRANSFER_NOT_FOUND: { status: 404, message: 'No such transfer.', remedy: 'Check the transfer id, and that the account in scope sent or received it.' },
  WEBHOOK_ENDPOINT_NOT_FOUND: { status: 404, message: 'No such webhook endpoint.', remedy: 'Check the endpoint id (we_…); list your endpoints to find it.' },
  EVENT_NOT_FOUND: { status: 404, message: 'No such event.', remedy: 'Check the event id (evt_…), and that it concerns the account in scope.' },
  PAYMENT_LINK_NOT_FOUND: { status: 404, message: 'No such payment link.', remedy: 'Check the payment link id, and that it belongs to the account in scope.' },
  PAYMENT_NOT_FOUND: { status: 404, message: 'No such payment.', remedy: 'Check the payment id, and that it belongs to the payment link.' },
  UNMATCHED_FUNDS_NOT_FOUND: { status: 404, message: 'No such unmatched funds.', remedy: 'Check the id of the unmatched funds.' },
  QUOTE_NOT_FOUND: { status: 404, message: 'No such quote for the account in scope.', remedy: 'Request a quote for the account in scope (POST /fx/quotes) and use its id.' },
  CONVERSION_NOT_FOUND: { status: 404, message: 'No such conversion.', remedy: 'Check the conversion id, and that it belongs to the account in scope.' },
  VIRTUAL_ACCOUNT_NOT_FOUND: { status: 404, message: 'This account has no active virtual account; issue one with POST.', remedy: 'Issue a virtual account with POST first.' },
  // 405, 408, 409, 413, 415, 417, 431
  METHOD_NOT_ALLOWED: { status: 405, message: 'This endpoint does not accept that method.', remedy: 'Use one of the methods in the Allow header (also in detail.allowed_methods).' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive in time; send it again.', remedy: 'Send the whole request promptly; retry it (with the same Idempotency-Key for a POST).' },
  EXPECTATION_FAILED: { status: 417, message: 'Only "Expect: 100-continue" is supported.', remedy: 'Send no Expect header, or "Expect: 100-continue".' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request line and headers are too large: 16 KB at most.', remedy: 'Send fewer or smaller headers (16 KB at most with the request line).' },
  REFERENCE_ID_CONFLICT: { status: 409, message: 'Another account of this platform already has this reference_id.', remedy: 'Use another reference_id, or read the existing account with GET /accounts?reference_id=….' },
  EMAIL_TAKEN: { status: 409, message: 'A user with this email already exists.', remedy: 'Use another email, or sign in with the existing user.' },
  API_KEY_ALREADY_DELETED: { status: 409, message: 'The API key is already deleted.', remedy: 'Nothing to do: the key is already deleted.' },
  API_KEY_ALREADY_ROLLED: { status: 409, message: 'The API key was already rolled (see detail.successor_id); roll the successor instead.', remedy: 'Roll the successor named in detail.successor_id instead.' },
  API_KEY_ALREADY_EXPIRED: { status: 409, message: 'The API key has already expired; generate a new key instead.', remedy: 'Create a new key instead.' },
  VERIFICATION_ALREADY_SUBMITTED: {
    status: 409,
    message: 'Identity was already submitted for this account and is pending or approved; wait for the decision.',
    remedy: 'Wait for account.verification.updated; do not submit again.',
  },
  VERIFICATION_REJECTED: { status: 409, message: 'Verification of this account was rejected; it cannot be resubmitted. Create a new account if appropriate.', remedy: 'The account cannot be verified; create a new account if appropriate.' },
  VERIFICATION_NOT_PENDING: {
    status: 409,
    message:
      'This decision is not possible from the current verification status: pending accounts can be approved, rejected or sent back (action_required); approved accounts can only be rejected or sent back.',
    remedy: 'Read the account\'s verification status first; decide only from a status that allows the decision.',
  },
  CAPABILITY_ALREADY_ACTIVE: { status: 409, message: 'The capability is already active.', remedy: 'Nothing to do: the capability is active.' },
  CAPABILITY_NOT_ACTIVE: { status: 409, message: 'The capability is not active.', remedy: 'Nothing to do: the capability is not active.' },
  // 422 — business rule
  KYC_REQUIRES_INDIVIDUAL: { status: 422, message: 'KYC is for individual accounts; submit business identity with POST /accounts/{id}/kyb.', remedy: 'Submit business identity with POST /accounts/{id}/kyb.' },
  KYB_REQUIRES_BUSINESS: { status: 422, message: 'KYB is for business accounts; submit individual identity with POST /accounts/{id}/kyc.', remedy: 'Submit individual identity with POST /accounts/{id}/kyc.' },
  DUPLICATE_REFERENCE: { status: 409, message: 'This reference was already used for a movement of this account; a reference names one movement, forever.', remedy: 'Use a new reference for a new movement; to retry the same request, repeat its Idempotency-Key instead.' },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, message: 'A request with this Idempotency-Key is still being processed; retry shortly.', remedy: 'Retry after a short wait with the same key and body: you will get the first request\'s answer.' },
  PAYOUT_NOT_PENDING: {
    status: 409,
    message: 'The payout was already decided otherwise (see detail.status); a completed or failed payout cannot change. Repeating the same decision returns the payout.',
    remedy: 'Read the payout (detail.status): a decided payout cannot change.',
  },
  VIRTUAL_ACCOUNT_EXISTS: { status: 409, message: 'This account already has an active virtual account; read it with GET or release it with DELETE.', remedy: 'Read it with GET, or release it with DELETE before issuing another.' },
  PAYMENT_ALREADY_SETTLED: {
    status: 409,
    message: 'The payment is no longer open (see detail.status): only an underpaid payment can be accepted, and only an open payment can be simulated.',
    remedy: 'Read the payment (detail.status); nothing more can be done with it.',
  },
  PAYMENT_LINK_NOT_ACTIVE: { status: 409, message: 'The payment link is no longer active (see detail.status); it cannot change.', remedy: 'Create a new payment link.' },
  UNMATCHED_FUNDS_RESOLVED: { status: 409, message: 'These funds were already assigned or returned (see detail.status).', remedy: 'Read the funds (detail.status); they were already dealt with.' },
  WEBHOOK_ENDPOINT_DISABLED: { status: 409, message: 'The webhook endpoint is disabled; enable it (PATCH status "enabled") first.', remedy: 'Enable the endpoint (PATCH with status "enabled") first.' },
  BACKUP_NOT_EMBEDDED: {
    status: 409,
    message: 'This server runs on PostgreSQL (DATABASE_URL): back it up with pg_dump or your provider\'s backups; `pik backup` is for the embedded database.',
    remedy: 'Back up PostgreSQL with pg_dump or your provider\'s backups (docs/operations.md).',
  },
  WEBHOOK_ENDPOINT_LIMIT: { status: 409, message: 'This platform has the most webhook endpoints an environment allows (16); delete one first.', remedy: 'Delete an endpoint you no longer need, or subscribe an existing one to more event types.' },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is too large.', remedy: 'Send a smaller body (1 MiB by default; PIK_BODY_LIMIT_BYTES on the server).' },
  CANNOT_REMOVE_USER: { status: 422, message: 'The owner cannot be removed, and nobody can remove themselves.', remedy: 'Ask another member to remove you, or transfer ownership first.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the request body as application/json.', remedy: 'Send the body as JSON with Content-Type: application/json.' },
  // 422 — business rules
  INSUFFICIENT_BALANCE: { status: 422, message: 'The available balance is too low for this amount.', remedy: 'Fund the account (a deposit or a transfer) or send a smaller amount; read the balances first.' },
  QUOTE_EXPIRED: { status: 422, message: 'The quote has expired; request a new quote.', remedy: 'Request a new quote and convert before its expires_at.' },
  QUOTE_ALREADY_USED: { status: 422, message: 'The quote was already used for a conversion; a quote converts once. Request a new quote.', remedy: 'Request a new quote.' },
  BELOW_MINIMUM_AMOUNT: { status: 422, message: 'The amount is below the smallest conversion in this currency (see detail.minimum).', remedy: 'Convert at least detail.minimum.' },
  ABOVE_MAXIMUM_AMOUNT: { status: 422, message: 'The amount is above the largest conversion in this currency (see detail.maximum); split it.', remedy: 'Convert at most detail.maximum per request; split a larger amount.' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, message: 'This Idempotency-Key was already used with a different request; use a new key.', remedy: 'Use a new Idempotency-Key for a different request; reuse a key only to retry the same request.' },
  // 429, 5xx
  RATE_LIMITED: { status: 429, message: 'Too many requests; retry after the number of seconds in Retry-After.', remedy: 'Wait the seconds in Retry-After, then retry; spread requests out (the ratelimit-* headers show what is left).' },
  AUTHENTICATION_THROTTLED: {
    status: 429,
    message: 'Too many requests from this address failed authentication; check your API key, then retry after the number of seconds in Retry-After.',
    remedy: 'Fix the credential, then wait the seconds in Retry-After before trying again.',
  },
  SIGN_IN_THROTTLED: { status: 429, message: 'Too many failed sign-in attempts. Wait 15 minutes, then try again.', remedy: 'Wait 15 minutes, or reset the password.' },
  INTERNAL_ERROR: { status: 500, message: 'Something went wrong on our side. Retry later; quote the request_id if it persists.', remedy: 'Retry later (with the same Idempotency-Key for a POST); if it persists, report it with the request_id.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The service is starting or stopping, or its database is unavailable; retry shortly.', remedy: 'Retry after the seconds in Retry-After (with the same Idempotency-Key for a POST).' },
  RATES_UNAVAILABLE: { status: 503, message: 'No current rate for this currency pair; retry after the number of seconds in Retry-After.', remedy: 'Retry after the seconds in Retry-After; the operator must set a current rate for the pair.' },
} as const satisfies Record<string, ErrorEntry>;

/** One code: its HTTP status, the default message, and what a client should do about it (docs/errors.md). */
interface ErrorEntry {
  status: number;
  message: string;
  remedy: string;
}

export type ErrorCode = keyof typeof catalogue;

/** Every code, in catalogue order: the `ErrorCode` enum of the OpenAPI documents and the order of docs/errors.md. */
export const errorCodes = Object.keys(catalogue) as ErrorCode[];

/** Every code with its status, default message and remedy, read-only: for generated artefacts (the SDK's code union). */
export const errorCatalogue: Readonly<Record<ErrorCode, Readonly<ErrorEntry>>> = catalogue;

/** The catalogue entry of a code (status, default message, remedy), for the documents that describe the codes. */
export function errorEntry(code: ErrorCode): Readonly<ErrorEntry> {
  return catalogue[code];
}

/**
 * Where a code is explained: `doc_url` on every error body. A path on the server itself (`/docs/errors` is served from
 * this catalogue, the same text as docs/errors.md), relative so it is right for any deployment behind any host name;
 * the anchor is the code in lower case, which is also GitHub's anchor of its heading in docs/errors.md.
 */
export function errorDocUrl(code: ErrorCode): string {
  return `/docs/errors#${code.toLowerCase()}`;
}

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
