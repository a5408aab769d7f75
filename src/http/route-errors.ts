// The domain codes each documented route can answer with beyond what its declaration implies (src/http/contract.ts
// derives those: credential, scope, rate limit, body parsing, idempotency, capability). One table, keyed like the
// capability catalogue ("POST /api/v1/payouts"), so adding a route is one entry here; a route may add codes of its own
// with `config.errors`. test/openapi-walk.test.ts fails for a documented route without an entry, and for any code a
// route answers that its operation does not list.
import type { ErrorCode } from '../lib/errors.ts';

/** A path with an account id in it: unknown or another platform's, or not the account of x-on-behalf-of. */
const pathAccount: readonly ErrorCode[] = ['ACCOUNT_NOT_FOUND', 'ON_BEHALF_OF_MISMATCH'];
/** Every paged list. */
const list: readonly ErrorCode[] = ['INVALID_CURSOR'];
/** An amount in a currency (src/lib/money.ts). */
const money: readonly ErrorCode[] = ['INVALID_AMOUNT', 'UNSUPPORTED_CURRENCY'];
/** A movement with a reference. */
const movement: readonly ErrorCode[] = [...money, 'DUPLICATE_REFERENCE', 'INSUFFICIENT_BALANCE'];

export const routeErrors: Readonly<Record<string, readonly ErrorCode[]>> = {
  // accounts
  'GET /api/v1/account': [],
  'POST /api/v1/accounts': ['REFERENCE_ID_CONFLICT'],
  'GET /api/v1/accounts': list,
  'GET /api/v1/accounts/{id}': pathAccount,
  'PATCH /api/v1/accounts/{id}': [...pathAccount, 'REFERENCE_ID_CONFLICT', 'PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR'],
  // onboarding
  'POST /api/v1/accounts/{id}/kyc': [...pathAccount, 'KYC_REQUIRES_INDIVIDUAL', 'VERIFICATION_ALREADY_SUBMITTED', 'VERIFICATION_REJECTED', 'PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR'],
  'POST /api/v1/accounts/{id}/kyb': [...pathAccount, 'KYB_REQUIRES_BUSINESS', 'VERIFICATION_ALREADY_SUBMITTED', 'VERIFICATION_REJECTED', 'PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR'],
  'GET /api/v1/accounts/{id}/verification': pathAccount,
  'GET /api/v1/accounts/{id}/capabilities': pathAccount,
  'POST /api/v1/accounts/{id}/capabilities/{name}': [
    ...pathAccount,
    'UNKNOWN_CAPABILITY',
    'ACCOUNT_NOT_VERIFIED',
    'CAPABILITY_ALREADY_ACTIVE',
    'PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR',
  ],
  'DELETE /api/v1/accounts/{id}/capabilities/{name}': [...pathAccount, 'UNKNOWN_CAPABILITY', 'CAPABILITY_NOT_ACTIVE', 'PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR'],
  'GET /api/v1/accounts/{id}/receiving-details': pathAccount,
  'POST /api/v1/sandbox/accounts/{id}/verification': [...pathAccount, 'SANDBOX_ONLY', 'VERIFICATION_NOT_PENDING', 'PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR'],
  // wallets
  'GET /api/v1/accounts/{id}/wallet/balances': pathAccount,
  'GET /api/v1/accounts/{id}/transactions': [...pathAccount, ...list, 'UNSUPPORTED_CURRENCY'],
  // money
  'POST /api/v1/transfers': [...movement, 'ACCOUNT_NOT_FOUND'],
  'GET /api/v1/transfers': [...list, ...pathAccount, 'UNSUPPORTED_CURRENCY'],
  'GET /api/v1/transfers/{id}': ['TRANSFER_NOT_FOUND'],
  'POST /api/v1/payouts': movement,
  'GET /api/v1/payouts': list,
  'GET /api/v1/payouts/{id}': ['PAYOUT_NOT_FOUND'],
  // fx
  'GET /api/v1/fx/rates': [...money, 'UNSUPPORTED_CURRENCY_PAIR', 'RATES_UNAVAILABLE', 'BELOW_MINIMUM_AMOUNT', 'ABOVE_MAXIMUM_AMOUNT'],
  'POST /api/v1/fx/quotes': [...money, 'UNSUPPORTED_CURRENCY_PAIR', 'RATES_UNAVAILABLE', 'BELOW_MINIMUM_AMOUNT', 'ABOVE_MAXIMUM_AMOUNT'],
  'GET /api/v1/fx/quotes/{id}': ['QUOTE_NOT_FOUND'],
  'POST /api/v1/fx/conversions': [
    ...movement,
    'UNSUPPORTED_CURRENCY_PAIR',
    'RATES_UNAVAILABLE',
    'BELOW_MINIMUM_AMOUNT',
    'ABOVE_MAXIMUM_AMOUNT',
    'QUOTE_NOT_FOUND',
    'QUOTE_MISMATCH',
    'QUOTE_EXPIRED',
    'QUOTE_ALREADY_USED',
  ],
  'GET /api/v1/fx/conversions': [...list, 'UNSUPPORTED_CURRENCY'],
  'GET /api/v1/fx/conversions/{id}': ['CONVERSION_NOT_FOUND'],
  // virtual accounts
  'POST /api/v1/accounts/{id}/virtual-account': [...pathAccount, 'VIRTUAL_ACCOUNT_EXISTS'],
  'GET /api/v1/accounts/{id}/virtual-account': [...pathAccount, 'VIRTUAL_ACCOUNT_NOT_FOUND'],
  'DELETE /api/v1/accounts/{id}/virtual-account': [...pathAccount, 'VIRTUAL_ACCOUNT_NOT_FOUND'],
  // sandbox money
  'POST /api/v1/sandbox/deposits': [...money, 'SANDBOX_ONLY', 'ACCOUNT_NOT_FOUND', 'DUPLICATE_REFERENCE', 'VIRTUAL_ACCOUNT_NOT_FOUND'],
  'POST /api/v1/sandbox/payouts/{id}/simulate': ['SANDBOX_ONLY', 'PAYOUT_NOT_FOUND', 'PAYOUT_NOT_PENDING'],
  // webhooks and events
  'POST /api/v1/webhooks': ['INVALID_WEBHOOK_URL', 'UNKNOWN_EVENT_TYPE', 'WEBHOOK_ENDPOINT_LIMIT'],
  'GET /api/v1/webhooks': list,
  'GET /api/v1/webhooks/{id}': ['WEBHOOK_ENDPOINT_NOT_FOUND'],
  'PATCH /api/v1/webhooks/{id}': ['WEBHOOK_ENDPOINT_NOT_FOUND', 'INVALID_WEBHOOK_URL', 'UNKNOWN_EVENT_TYPE'],
  'DELETE /api/v1/webhooks/{id}': ['WEBHOOK_ENDPOINT_NOT_FOUND'],
  'POST /api/v1/webhooks/{id}/rotate-secret': ['WEBHOOK_ENDPOINT_NOT_FOUND'],
  'POST /api/v1/webhooks/{id}/test': ['WEBHOOK_ENDPOINT_NOT_FOUND', 'WEBHOOK_ENDPOINT_DISABLED'],
  'GET /api/v1/webhooks/{id}/deliveries': [...list, 'WEBHOOK_ENDPOINT_NOT_FOUND'],
  'GET /api/v1/events': [...list, 'UNKNOWN_EVENT_TYPE', 'ON_BEHALF_OF_MISMATCH'],
  'GET /api/v1/events/{id}': ['EVENT_NOT_FOUND'],
  'POST /api/v1/events/{id}/redeliver': ['EVENT_NOT_FOUND', 'WEBHOOK_ENDPOINT_NOT_FOUND', 'WEBHOOK_ENDPOINT_DISABLED'],
  // payment links
  'POST /api/v1/payment-links': [...money, 'DUPLICATE_REFERENCE', 'VIRTUAL_ACCOUNT_NOT_FOUND'],
  'GET /api/v1/payment-links': list,
  'GET /api/v1/payment-links/{id}': ['PAYMENT_LINK_NOT_FOUND'],
  'DELETE /api/v1/payment-links/{id}': ['PAYMENT_LINK_NOT_FOUND', 'PAYMENT_LINK_NOT_ACTIVE'],
  'GET /api/v1/payments': list,
  'GET /api/v1/payments/{id}': ['PAYMENT_NOT_FOUND'],
  'POST /api/v1/payments/{id}/accept-partial': ['PAYMENT_NOT_FOUND', 'PAYMENT_ALREADY_SETTLED'],
  'POST /api/v1/sandbox/payments/{id}/simulate': [...money, 'SANDBOX_ONLY', 'PAYMENT_NOT_FOUND', 'PAYMENT_ALREADY_SETTLED'],
  'POST /api/v1/sandbox/payment-links/{id}/pay': [...money, 'SANDBOX_ONLY', 'PAYMENT_LINK_NOT_FOUND', 'PAYMENT_LINK_NOT_ACTIVE', 'PAYMENT_ALREADY_SETTLED'],
  // operator: platforms and keys
  'POST /admin/v1/platforms': ['EMAIL_TAKEN'],
  'GET /admin/v1/platforms': list,
  'GET /admin/v1/platforms/{id}/rate-limits': ['PLATFORM_NOT_FOUND'],
  'PUT /admin/v1/platforms/{id}/rate-limits': ['PLATFORM_NOT_FOUND'],
  'POST /admin/v1/platforms/{id}/keys': ['PLATFORM_NOT_FOUND'],
  'GET /admin/v1/platforms/{id}/keys': ['PLATFORM_NOT_FOUND'],
  'PATCH /admin/v1/keys/{id}': ['API_KEY_NOT_FOUND', 'API_KEY_ALREADY_DELETED', 'API_KEY_ALREADY_EXPIRED'],
  'DELETE /admin/v1/keys/{id}': ['API_KEY_NOT_FOUND', 'API_KEY_ALREADY_DELETED'],
  'POST /admin/v1/keys/{id}/roll': ['API_KEY_NOT_FOUND', 'API_KEY_ALREADY_DELETED', 'API_KEY_ALREADY_ROLLED', 'API_KEY_ALREADY_EXPIRED'],
  // operator: onboarding
  'GET /admin/v1/verifications': list,
  'GET /admin/v1/verifications/{account_id}': ['ACCOUNT_NOT_FOUND'],
  'POST /admin/v1/verifications/{account_id}/decision': ['ACCOUNT_NOT_FOUND', 'VERIFICATION_NOT_PENDING', 'PLATFORM_ACCOUNT_MANAGED_BY_OPERATOR'],
  'POST /admin/v1/platforms/{id}/capabilities/{name}': ['PLATFORM_NOT_FOUND', 'UNKNOWN_CAPABILITY', 'CAPABILITY_ALREADY_ACTIVE'],
  'DELETE /admin/v1/platforms/{id}/capabilities/{name}': ['PLATFORM_NOT_FOUND', 'UNKNOWN_CAPABILITY', 'CAPABILITY_NOT_ACTIVE'],
  // operator: money and FX
  'POST /admin/v1/deposits': [...money, 'ACCOUNT_NOT_FOUND', 'DUPLICATE_REFERENCE'],
  'GET /admin/v1/payouts': list,
  'POST /admin/v1/payouts/{id}/complete': ['PAYOUT_NOT_FOUND', 'PAYOUT_NOT_PENDING'],
  'POST /admin/v1/payouts/{id}/fail': ['PAYOUT_NOT_FOUND', 'PAYOUT_NOT_PENDING'],
  'GET /admin/v1/unmatched-funds': list,
  'POST /admin/v1/unmatched-funds/{id}/assign': ['UNMATCHED_FUNDS_NOT_FOUND', 'UNMATCHED_FUNDS_RESOLVED', 'ACCOUNT_NOT_FOUND'],
  'POST /admin/v1/unmatched-funds/{id}/return': ['UNMATCHED_FUNDS_NOT_FOUND', 'UNMATCHED_FUNDS_RESOLVED'],
  'PUT /admin/v1/fx/rates': [...money, 'UNSUPPORTED_CURRENCY_PAIR'],
  'GET /admin/v1/fx/rates': [],
  'GET /admin/v1/fx/positions': [],
  'GET /admin/v1/audit-log': [...list, 'PLATFORM_NOT_FOUND'],
  'GET /admin/v1/backup': ['BACKUP_NOT_EMBEDDED'],
};
