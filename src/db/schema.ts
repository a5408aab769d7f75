// Table types for Kysely. Core tables live in schema "core"; everything an environment owns lives
// in a schema named after the environment ("sandbox", "production") with identical tables.
import type { ColumnType, Kysely, RawBuilder, Selectable } from 'kysely';
import type { Capability } from '../lib/capabilities.ts';
import type { Currency, Network, NetworkCurrency } from '../lib/currencies.ts';
import type { Environment } from '../lib/environments.ts';
import type { KeyPermissionMap } from '../lib/key-permissions.ts';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface PlatformTable {
  id: string;
  name: string;
  rate_limits: ColumnType<Record<string, number>, string | undefined, string>;
  created_at: Timestamp;
}

/** A person: one email (unique among live users), one password; platforms through MembershipTable. */
export interface UserTable {
  id: string;
  email: string;
  password_hash: string | null;
  created_at: Timestamp;
  /** Set only on people removed before memberships existed (migration 0010); removal is per membership now. */
  removed_at: NullableTimestamp;
}

export type MembershipRole = 'owner' | 'member';

export interface MembershipTable {
  user_id: string;
  platform_id: string;
  role: MembershipRole;
  created_at: Timestamp;
  /** Null while the invitation is unused: the person cannot enter this platform yet. */
  accepted_at: NullableTimestamp;
  removed_at: NullableTimestamp;
}

export interface PasswordTokenTable {
  token_hash: string;
  user_id: string;
  /** The platform the link lets the person into. */
  platform_id: string;
  purpose: 'set_password' | 'invite';
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface ApiKeyTable {
  id: string;
  platform_id: string;
  environment: Environment;
  name: string;
  key_hash: string;
  hint: string;
  created_at: Timestamp;
  created_by: string;
  last_used_at: NullableTimestamp;
  last_used_ip: string | null;
  exposed_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  /** null: "full"; else resource → "read" | "write" (src/lib/key-permissions.ts). */
  permissions: ColumnType<KeyPermissionMap | null, string | null | undefined, string | null>;
  /** null: any address; else normalized addresses and CIDR ranges (src/lib/ip-allowlist.ts). */
  allowed_ips: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
  expires_at: NullableTimestamp;
  rolled_from: ColumnType<string | null, string | null | undefined, string | null>;
  rolled_to: ColumnType<string | null, string | null | undefined, string | null>;
  /** 0 nothing told, 1 "expires within 7 days", 2 "within 1 day", 3 expired (the expiry worker's progress). */
  expiry_notice: ColumnType<number, number | undefined, number>;
  exposed_source: ColumnType<string | null, string | null | undefined, string | null>;
}

export const auditActorTypes = ['user', 'operator', 'api_key', 'system'] as const;
export type AuditActorType = (typeof auditActorTypes)[number];

/** The append-only audit log (a trigger refuses UPDATE and DELETE). */
export interface AuditLogTable {
  id: string;
  occurred_at: Timestamp;
  platform_id: string | null;
  environment: Environment | null;
  actor_type: AuditActorType;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: ColumnType<Record<string, unknown>, string, never>;
}

export interface SessionTable {
  id: string;
  token_hash: string;
  user_id: string;
  platform_id: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
  ip: string | null;
  revoked_at: NullableTimestamp;
}

export interface LoginAttemptTable {
  subject_hash: string;
  window_started_at: Timestamp;
  failures: ColumnType<number, number | undefined, number>;
  in_flight: ColumnType<number, number | undefined, number>;
}

export interface VirtualAccountNumberTable {
  bsb: string;
  account_number: string;
  environment: Environment;
  virtual_account_id: string;
  created_at: Timestamp;
}

export interface CoreTables {
  'core.platforms': PlatformTable;
  'core.virtual_account_numbers': VirtualAccountNumberTable;
  'core.users': UserTable;
  'core.memberships': MembershipTable;
  'core.password_tokens': PasswordTokenTable;
  'core.api_keys': ApiKeyTable;
  'core.sessions': SessionTable;
  'core.login_attempts': LoginAttemptTable;
  'core.audit_log': AuditLogTable;
}

export const verificationStatuses = ['unverified', 'pending', 'approved', 'rejected', 'action_required'] as const;
export type VerificationStatus = (typeof verificationStatuses)[number];

export interface AccountTable {
  id: string;
  platform_id: string;
  type: 'platform' | 'connected';
  customer_type: 'individual' | 'business' | null;
  email: string | null;
  country: string | null;
  reference_id: string | null;
  display_name: string | null;
  verification_status: ColumnType<VerificationStatus, VerificationStatus | undefined, VerificationStatus>;
  capabilities: ColumnType<Capability[], Capability[] | undefined, Capability[]>;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** The client's own key–value strings (src/lib/metadata.ts); null when none were given. */
  metadata: ColumnType<Record<string, string> | null, string | null | undefined, string | null>;
}

export interface EventTable {
  id: string;
  platform_id: string;
  account_id: string;
  type: string;
  data: ColumnType<Record<string, unknown>, string, string>;
  created_at: Timestamp;
  /** When the delivery worker fanned the event out to deliveries; null until then. */
  dispatched_at: NullableTimestamp;
  /** webhook.test only: the one endpoint it goes to. */
  endpoint_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export const webhookEndpointStatuses = ['enabled', 'disabled'] as const;
export type WebhookEndpointStatus = (typeof webhookEndpointStatuses)[number];
export const webhookDeliveryStatuses = ['pending', 'delivered', 'undelivered'] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];

export interface WebhookEndpointTable {
  id: string;
  platform_id: string;
  url: string;
  description: string | null;
  events: ColumnType<string[], string[], string[]>;
  status: WebhookEndpointStatus;
  disabled_reason: 'platform' | 'failing' | null;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: NullableTimestamp;
  failing_since: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
  /** Set on the hidden endpoint of a payment link's webhook_url: it receives that link's events only. */
  payment_link_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The client's own key–value strings (src/lib/metadata.ts); null when none were given. */
  metadata: ColumnType<Record<string, string> | null, string | null | undefined, string | null>;
}

export interface WebhookDeliveryTable {
  id: string;
  event_id: string;
  endpoint_id: string;
  platform_id: string;
  status: WebhookDeliveryStatus;
  attempt_count: ColumnType<number, number | undefined, number>;
  next_attempt_at: NullableTimestamp;
  last_attempt_at: NullableTimestamp;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Timestamp;
  delivered_at: NullableTimestamp;
}

export interface WebhookAttemptTable {
  id: string;
  delivery_id: string;
  endpoint_id: string;
  platform_id: string;
  number: number;
  started_at: Timestamp;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_body: string | null;
  next_attempt_at: NullableTimestamp;
}

export const verificationKinds = ['kyc', 'kyb'] as const;
export type VerificationKind = (typeof verificationKinds)[number];
export const verificationDeciders = ['operator', 'sandbox'] as const;
export type VerificationDecider = (typeof verificationDeciders)[number];

export interface VerificationTable {
  account_id: string;
  platform_id: string;
  kind: VerificationKind;
  /**
   * The normalised KycIdentity or KybIdentity (src/domain/accounts/identity.ts) as JSON, sealed (src/lib/sealed.ts,
   * identityContext in src/db/sealed-columns.ts); a CHECK refuses anything else. Only verification.ts opens it.
   */
  identity: string;
  submission_count: ColumnType<number, number | undefined, number>;
  submitted_at: Timestamp;
  reason: string | null;
  decided_at: NullableTimestamp;
  decided_by: VerificationDecider | null;
  updated_at: Timestamp;
}

export interface ReceivingAddressTable {
  account_id: string;
  currency: NetworkCurrency;
  network: Network;
  address: string;
  created_at: Timestamp;
}

/** One key's API requests over one flush interval (see migration 0005 for the line format of entries). */
export interface RequestLogSegmentTable {
  id: string;
  platform_id: string;
  key_id: string;
  account_ids: string[];
  first_at: Timestamp;
  last_at: Timestamp;
  entry_count: number;
  /** gzip of JSON lines; written as decode(base64) (see writeRequestLogSegments). */
  entries: ColumnType<Buffer, RawBuilder<Buffer>, never>;
}

type Money = ColumnType<bigint, bigint, bigint>;
type Json<T> = ColumnType<T, string, string>;

export const transactionTypes = ['payment_in', 'payment_out', 'fx_conversion', 'transfer_in', 'transfer_out', 'fee', 'reversal'] as const;
export type TransactionType = (typeof transactionTypes)[number];
export type TransactionStatus = 'pending' | 'settled' | 'failed';
export type Bucket = 'available' | 'pending';

export interface LedgerBalanceTable {
  ledger_account: string;
  currency: Currency;
  is_clearing: boolean;
  /** numeric(38,0) in the database: a running total may pass int8's range (migration 0008); read as bigint. */
  available: ColumnType<bigint, bigint | undefined, bigint>;
  pending: ColumnType<bigint, bigint | undefined, bigint>;
  updated_at: Timestamp;
}

export interface LedgerEntryTable {
  id: ColumnType<bigint, never, never>;
  movement_id: string;
  ledger_account: string;
  currency: Currency;
  bucket: Bucket;
  amount: Money;
  created_at: Timestamp;
}

export interface TransactionTable {
  id: string;
  platform_id: string;
  account_id: string;
  movement_id: string;
  type: TransactionType;
  currency: Currency;
  amount: Money;
  fee: ColumnType<bigint, bigint | undefined, bigint>;
  status: TransactionStatus;
  reference: string | null;
  counterparty: Json<Record<string, unknown> | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MovementReferenceTable {
  account_id: string;
  reference: string;
  movement_id: string;
  created_at: Timestamp;
}

export interface DepositReferenceTable {
  account_id: string;
  reference: string;
  deposit_id: string;
  created_at: Timestamp;
}

export interface TransferTable {
  id: string;
  platform_id: string;
  source_account_id: string;
  destination_account_id: string;
  currency: Currency;
  amount: Money;
  reference: string | null;
  created_at: Timestamp;
  /** The client's own key–value strings (src/lib/metadata.ts); null when none were given. */
  metadata: ColumnType<Record<string, string> | null, string | null | undefined, string | null>;
}

export interface DepositTable {
  id: string;
  platform_id: string;
  account_id: string;
  currency: Currency;
  amount: Money;
  reference: string | null;
  sender_name: string | null;
  source: 'sandbox' | 'operator';
  status: 'pending' | 'settled';
  settle_at: NullableTimestamp;
  /** The account's payment_in; null for funds held as unmatched (they never reached the wallet). */
  transaction_id: string | null;
  created_at: Timestamp;
  settled_at: NullableTimestamp;
  /** The payment-link payment the deposit was matched to. */
  payment_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Funds no active link could take, held for the operator. */
  unmatched_funds_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export const paymentLinkStatuses = ['active', 'paid', 'expired', 'cancelled'] as const;
export type PaymentLinkStatus = (typeof paymentLinkStatuses)[number];
export const paymentStatuses = ['awaiting_funds', 'underpaid', 'settled', 'overpaid', 'expired'] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];
export const unmatchedReasons = ['link_paid', 'link_expired', 'link_cancelled', 'currency_mismatch', 'payment_expired'] as const;
export type UnmatchedReason = (typeof unmatchedReasons)[number];
export const unmatchedStatuses = ['held', 'assigned', 'returned'] as const;
export type UnmatchedStatus = (typeof unmatchedStatuses)[number];

export interface PaymentLinkTable {
  id: string;
  platform_id: string;
  account_id: string;
  amount_type: 'fixed' | 'open';
  currency: Currency;
  amount: ColumnType<bigint | null, bigint | null, bigint | null>;
  reference: string;
  reference_key: string;
  status: PaymentLinkStatus;
  single_use: boolean;
  merchant_name: string | null;
  merchant_logo_url: string | null;
  redirect_url: string | null;
  webhook_url: string | null;
  webhook_endpoint_id: string | null;
  metadata: ColumnType<Record<string, string> | null, string | null, string | null>;
  expires_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  ended_at: NullableTimestamp;
}

export interface PaymentTable {
  id: string;
  platform_id: string;
  account_id: string;
  payment_link_id: string;
  currency: Currency;
  reference: string;
  amount_expected: ColumnType<bigint | null, bigint | null, bigint | null>;
  amount_received: Money;
  status: PaymentStatus;
  partial: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
  settled_at: NullableTimestamp;
  expired_at: NullableTimestamp;
}

export interface UnmatchedFundsTable {
  id: string;
  platform_id: string;
  account_id: string;
  currency: Currency;
  amount: Money;
  reference: string | null;
  deposit_id: string | null;
  payment_id: string | null;
  payment_link_id: string | null;
  reason: UnmatchedReason;
  status: UnmatchedStatus;
  transaction_id: string | null;
  note: string | null;
  created_at: Timestamp;
  resolved_at: NullableTimestamp;
}

export const payoutStatuses = ['pending', 'completed', 'failed'] as const;
export type PayoutStatus = (typeof payoutStatuses)[number];

export interface PayoutTable {
  id: string;
  platform_id: string;
  account_id: string;
  currency: Currency;
  amount: Money;
  destination_type: 'bank_account' | 'crypto_address';
  destination: Json<Record<string, string>>;
  reference: string | null;
  status: PayoutStatus;
  failure_reason: string | null;
  transaction_id: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** The client's own key–value strings (src/lib/metadata.ts); null when none were given. */
  metadata: ColumnType<Record<string, string> | null, string | null | undefined, string | null>;
}

export interface VirtualAccountTable {
  id: string;
  platform_id: string;
  account_id: string;
  bsb: string;
  account_number: string;
  account_name: string;
  status: 'active' | 'released';
  created_at: Timestamp;
  released_at: NullableTimestamp;
}

export interface FxRateTable {
  base: Currency;
  quote: Currency;
  /** The decimal text the operator set (read as an exact rational). */
  mid: string;
  spread_bps: number;
  as_of: Timestamp;
  pinned: ColumnType<boolean, boolean | undefined, boolean>;
  set_by: string;
}

export const fxQuoteStatuses = ['active', 'used'] as const;
export type FxSide = 'sell' | 'buy';

/** What a quote and a conversion both are: an account's exchange of one amount for another at a rate. */
interface FxExchangeColumns {
  id: string;
  platform_id: string;
  account_id: string;
  sell_currency: Currency;
  buy_currency: Currency;
  sell_amount: Money;
  buy_amount: Money;
  /** The quoted rate as the API shows it (buy units per sell unit; lib/fx-math.ts formatRate). */
  rate: string;
}

export interface FxQuoteTable extends FxExchangeColumns {
  fixed_side: FxSide;
  status: (typeof fxQuoteStatuses)[number];
  conversion_id: string | null;
  expires_at: Timestamp;
  created_at: Timestamp;
  used_at: NullableTimestamp;
}

export const conversionTypes = ['rate', 'quote'] as const;
export type ConversionType = (typeof conversionTypes)[number];

export interface FxConversionTable extends FxExchangeColumns {
  conversion_type: ConversionType;
  quote_id: string | null;
  reference: string | null;
  created_at: Timestamp;
}

export interface IdempotencyKeyTable {
  platform_id: string;
  key: string;
  request_hash: string;
  claim_token: string;
  locked_until: Timestamp;
  committed_at: NullableTimestamp;
  response_status: number | null;
  response_body: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface EnvTables {
  accounts: AccountTable;
  events: EventTable;
  ledger_balances: LedgerBalanceTable;
  ledger_entries: LedgerEntryTable;
  transactions: TransactionTable;
  movement_references: MovementReferenceTable;
  transfers: TransferTable;
  deposits: DepositTable;
  deposit_references: DepositReferenceTable;
  payouts: PayoutTable;
  virtual_accounts: VirtualAccountTable;
  idempotency_keys: IdempotencyKeyTable;
  fx_rates: FxRateTable;
  fx_quotes: FxQuoteTable;
  fx_conversions: FxConversionTable;
  verifications: VerificationTable;
  receiving_addresses: ReceivingAddressTable;
  request_log_segments: RequestLogSegmentTable;
  webhook_endpoints: WebhookEndpointTable;
  webhook_deliveries: WebhookDeliveryTable;
  webhook_attempts: WebhookAttemptTable;
  payment_links: PaymentLinkTable;
  payments: PaymentTable;
  unmatched_funds: UnmatchedFundsTable;
}

export type TransactionRow = Selectable<TransactionTable>;
export type PayoutRow = Selectable<PayoutTable>;
export type DepositRow = Selectable<DepositTable>;
export type TransferRow = Selectable<TransferTable>;
export type VirtualAccountRow = Selectable<VirtualAccountTable>;
export type PaymentLinkRow = Selectable<PaymentLinkTable>;
export type PaymentRow = Selectable<PaymentTable>;
export type UnmatchedFundsRow = Selectable<UnmatchedFundsTable>;
export type FxRateRow = Selectable<FxRateTable>;
export type FxQuoteRow = Selectable<FxQuoteTable>;
export type FxConversionRow = Selectable<FxConversionTable>;

export type AccountRow = Selectable<AccountTable>;
export type EventRow = Selectable<EventTable>;
export type WebhookEndpointRow = Selectable<WebhookEndpointTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveryTable>;
export type WebhookAttemptRow = Selectable<WebhookAttemptTable>;
export type ApiKeyRow = Selectable<ApiKeyTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type VerificationRow = Selectable<VerificationTable>;
export type ReceivingAddressRow = Selectable<ReceivingAddressTable>;
export type UserRow = Selectable<UserTable>;

export type CoreDb = Kysely<CoreTables>;
/** A handle bound to one environment's schema; there is no way to name the other environment's tables through it. */
export type EnvDb = Kysely<EnvTables>;
