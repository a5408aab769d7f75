// Payment links: created for the account in scope (AUD to its virtual account, USDT/USDC to its Solana address),
// read and listed, cancelled. Links cannot be edited. See docs/payment-links.md.
import { parseMetadata } from '../../lib/metadata.ts';
import type { PaymentLinkRow, PaymentLinkStatus } from '../../db/schema.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { UnitOfWork } from '../../db/unit-of-work.ts';
import { describeCurrencies, type Currency } from '../../lib/currencies.ts';
import { parseDuration } from '../../lib/durations.ts';
import type { Environment } from '../../lib/environments.ts';
import { ApiError, invalidField } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { parseInstant } from '../../lib/instants.ts';
import { parseAmount, parseCurrency } from '../../lib/money.ts';
import { requireCapability } from '../accounts/capability-gate.ts';
import { ensureReceivingAddresses } from '../accounts/receiving-details.ts';
import type { Deps } from '../deps.ts';
import { getVirtualAccountDetails } from '../ledger/virtual-accounts.ts';
import { decodeCursor, toPage, type Page, type PageRequest } from '../paging.ts';
import { createPaymentLinkEndpoint, parseWebhookUrl } from '../webhooks/endpoints.ts';
import { referenceKey } from './decisions.ts';
import { endLink, lockLink, openPayment } from './settlement.ts';
import { codePointLength } from '../../lib/text.ts';

/** The currencies a link can ask for: AUD by bank transfer to the virtual account, the stablecoins on Solana. */
export const paymentLinkCurrencies = ['AUD', 'USDT', 'USDC'] as const satisfies readonly Currency[];
export type PaymentLinkCurrency = (typeof paymentLinkCurrencies)[number];

/** The events a link's webhook_url receives. */
export const paymentLinkEventTypes = ['payment.settled', 'payment.underpaid', 'payment.overpaid', 'payment.expired', 'payment_link.cancelled'];

/** 18 characters: what an Australian bank's (BECS) lodgement reference carries whole. */
export const maxReferenceLength = 18;
const referencePattern = new RegExp(`^[A-Za-z0-9][A-Za-z0-9_-]{0,${maxReferenceLength - 1}}$`);
const maxExpiryMs = 365 * 86_400_000;
const minExpiryMs = 60_000;
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f]|\p{Cs}/u;

export interface PaymentLinkInput {
  amountType: unknown;
  currency: unknown;
  amount?: unknown;
  reference: unknown;
  expiry?: unknown;
  singleUse?: unknown;
  merchantName?: unknown;
  merchantLogoUrl?: unknown;
  redirectUrl?: unknown;
  webhookUrl?: unknown;
  metadata?: unknown;
}

/**
 * Whose links: a platform in one environment and, for the API (the account in scope, x-on-behalf-of or the platform's
 * own), one account; the dashboard reads all the platform's accounts.
 */
export interface LinkOwner {
  platformId: string;
  environment: Environment;
  accountId?: string | undefined;
}

export interface PaymentLinkView {
  link: PaymentLinkRow;
  /** The payment collecting the link's next funds, while the link is active. */
  openPaymentId: string | null;
}

export interface CreatedPaymentLink extends PaymentLinkView {
  /** The signing secret of the link's webhook_url, shown once (null without a webhook_url). */
  webhookSecret: string | null;
}

function parseLinkCurrency(value: unknown): PaymentLinkCurrency {
  const currency = parseCurrency(value);
  if (!(paymentLinkCurrencies as readonly string[]).includes(currency)) {
    throw new ApiError('UNSUPPORTED_CURRENCY', `Payment links take ${describeCurrencies(paymentLinkCurrencies)}.`, { field: 'currency', supported: [...paymentLinkCurrencies] });
  }
  return currency as PaymentLinkCurrency;
}

function parseLinkReference(value: unknown): string {
  if (typeof value !== 'string' || !referencePattern.test(value)) {
    throw invalidField('reference', `reference must be 1 to ${maxReferenceLength} letters, digits, "-" or "_", starting with a letter or digit (the payer types it; no spaces).`);
  }
  return value;
}

/** An ISO 8601 date-time, or a duration from now ("30m", "24h", "7d"); between a minute and a year ahead. */
export function parseExpiry(value: unknown, now: Date): Date | null {
  if (value === undefined || value === null) return null;
  const message = 'expiry must be an ISO 8601 date-time with an offset, or a duration such as "30m", "24h" or "7d", between a minute and a year from now.';
  if (typeof value !== 'string') throw invalidField('expiry', message);
  const duration = parseDuration(value);
  const at = duration !== undefined ? new Date(now.getTime() + duration) : value.includes('T') ? parseInstant(value)?.start : undefined;
  if (!at || at.getTime() - now.getTime() < minExpiryMs || at.getTime() - now.getTime() > maxExpiryMs) throw invalidField('expiry', message);
  return at;
}

function parseText(value: unknown, field: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.trim() === '' || codePointLength(value) > max || controlCharacters.test(value)) {
    throw invalidField(field, `${field} must be text of 1 to ${max} characters, without control characters.`);
  }
  return value.trim();
}

/** An absolute https URL (http too in sandbox, for local development), at most 2,000 characters, no credentials. */
export function parsePageUrl(value: unknown, field: string, environment: Environment): string | null {
  if (value === undefined || value === null) return null;
  const message = `${field} must be an absolute https URL of at most 2000 characters${environment === 'sandbox' ? ' (http is allowed in sandbox)' : ''}, without a user name or password.`;
  if (typeof value !== 'string' || value.length > 2000) throw invalidField(field, message);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidField(field, message);
  }
  const schemes = environment === 'sandbox' ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol) || url.username !== '' || url.password !== '') throw invalidField(field, message);
  return url.href;
}

function parseSingleUse(value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalidField('single_use', 'single_use must be true or false.');
  return value;
}

export async function createPaymentLink(deps: Deps, work: UnitOfWork, scope: LinkOwner & { accountId: string }, input: PaymentLinkInput): Promise<CreatedPaymentLink> {
  const environment = scope.environment;
  const now = deps.now();
  if (input.amountType !== 'fixed' && input.amountType !== 'open') throw invalidField('amount_type', 'amount_type must be "fixed" or "open".');
  const currency = parseLinkCurrency(input.currency);
  let amount: bigint | null = null;
  if (input.amountType === 'fixed') amount = parseAmount(input.amount, currency);
  else if (input.amount !== undefined && input.amount !== null) throw invalidField('amount', 'An open link takes any amount the payer sends; leave amount out (or use amount_type "fixed").');
  const reference = parseLinkReference(input.reference);
  const expiresAt = parseExpiry(input.expiry, now);
  const singleUse = parseSingleUse(input.singleUse);
  const merchantName = parseText(input.merchantName, 'merchant_name', 100);
  const merchantLogoUrl = parsePageUrl(input.merchantLogoUrl, 'merchant_logo_url', environment);
  if (merchantLogoUrl !== null && !merchantLogoUrl.startsWith('https:')) throw invalidField('merchant_logo_url', 'merchant_logo_url must be an https URL (the payment page loads it).');
  const redirectUrl = parsePageUrl(input.redirectUrl, 'redirect_url', environment);
  const webhookUrl = input.webhookUrl === undefined || input.webhookUrl === null ? null : parseWebhookUrl(deps, environment, input.webhookUrl, 'webhook_url');
  const metadata = parseMetadata(input.metadata);

  const tx = await work.transaction();
  const db = tx.env(environment);
  // FOR SHARE: inbound_payments cannot be switched off between this check and the commit.
  await requireCapability(db, scope, 'inbound_payments', { lockRow: true });
  if (currency === 'AUD') {
    if (!(await getVirtualAccountDetails(tx, environment, scope.accountId))) {
      throw new ApiError('VIRTUAL_ACCOUNT_NOT_FOUND', 'AUD payment links are paid by bank transfer to the account\'s virtual account; issue one first (POST /accounts/{id}/virtual-account).', {
        account_id: scope.accountId,
      });
    }
  } else {
    await ensureReceivingAddresses(db, environment, scope.accountId);
  }
  const id = newId('paymentLink');
  const owner = { platformId: scope.platformId, environment };
  const endpoint = webhookUrl === null ? null : await createPaymentLinkEndpoint(deps, tx, owner, id, webhookUrl, paymentLinkEventTypes);
  let link: PaymentLinkRow;
  try {
    link = await db
      .insertInto('payment_links')
      .values({
        id,
        platform_id: scope.platformId,
        account_id: scope.accountId,
        amount_type: input.amountType,
        currency,
        amount,
        reference,
        reference_key: referenceKey(reference),
        status: 'active',
        single_use: singleUse,
        merchant_name: merchantName,
        merchant_logo_url: merchantLogoUrl,
        redirect_url: redirectUrl,
        webhook_url: webhookUrl,
        webhook_endpoint_id: endpoint?.endpoint.id ?? null,
        metadata: metadata === null ? null : JSON.stringify(metadata),
        expires_at: expiresAt,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    // The partial unique index decides, not a prior read: of two creates with one reference, the second fails here.
    if (isUniqueViolation(error, 'payment_links_active_reference')) {
      throw new ApiError('DUPLICATE_REFERENCE', 'An active payment link of this account already has this reference (compared without regard to case); use another, or cancel that link first.', {
        field: 'reference',
        reference,
        account_id: scope.accountId,
      });
    }
    throw error;
  }
  const payment = await openPayment(tx, environment, link, now);
  return { link, openPaymentId: payment.id, webhookSecret: endpoint?.secret ?? null };
}

/** Another platform's, or (for an account owner) another account's, is simply not found. */
export function isOwnedBy(row: { platform_id: string; account_id: string }, owner: LinkOwner): boolean {
  return row.platform_id === owner.platformId && (owner.accountId === undefined || row.account_id === owner.accountId);
}

async function withOpenPayments(deps: Pick<Deps, 'db'>, environment: Environment, links: PaymentLinkRow[]): Promise<PaymentLinkView[]> {
  if (links.length === 0) return [];
  const open = await deps.db
    .env(environment)
    .selectFrom('payments')
    .select(['id', 'payment_link_id'])
    .where('payment_link_id', 'in', links.map((l) => l.id))
    .where('status', 'in', ['awaiting_funds', 'underpaid'])
    .execute();
  const byLink = new Map(open.map((p) => [p.payment_link_id, p.id]));
  return links.map((link) => ({ link, openPaymentId: byLink.get(link.id) ?? null }));
}

/** Links of the owner, newest first. */
export async function listPaymentLinks(deps: Deps, scope: LinkOwner, page: PageRequest, filter: { status?: PaymentLinkStatus | undefined } = {}): Promise<Page<PaymentLinkView>> {
  const before = decodeCursor(page.cursor, 'paymentLink');
  let query = deps.db.env(scope.environment).selectFrom('payment_links').selectAll().where('platform_id', '=', scope.platformId);
  if (scope.accountId !== undefined) query = query.where('account_id', '=', scope.accountId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (before) query = query.where('id', '<', before);
  const rows = toPage(await query.orderBy('id', 'desc').limit(page.limit + 1).execute(), page.limit);
  return { data: await withOpenPayments(deps, scope.environment, rows.data), nextCursor: rows.nextCursor };
}

/** A link of the account in scope; another account's, platform's or environment's is simply not found. */
export async function getPaymentLink(deps: Deps, scope: LinkOwner, linkId: string): Promise<PaymentLinkView> {
  const row = await deps.db.env(scope.environment).selectFrom('payment_links').selectAll().where('id', '=', linkId).executeTakeFirst();
  if (!row || !isOwnedBy(row, scope)) throw new ApiError('PAYMENT_LINK_NOT_FOUND', undefined, { payment_link_id: linkId });
  return (await withOpenPayments(deps, scope.environment, [row]))[0] as PaymentLinkView;
}

/**
 * Cancels an active link: its page stops taking payments, its open payment ends (funds it had received are held
 * as unmatched), and later funds with its reference are held as unmatched. A link already ended → 409; cancelling
 * a cancelled link again answers the link (a retry changes nothing).
 */
export async function cancelPaymentLink(deps: Deps, work: UnitOfWork, scope: LinkOwner, linkId: string): Promise<PaymentLinkView> {
  const tx = await work.transaction();
  const link = await lockLink(tx, scope.environment, linkId);
  if (!link || !isOwnedBy(link, scope)) throw new ApiError('PAYMENT_LINK_NOT_FOUND', undefined, { payment_link_id: linkId });
  if (link.status === 'cancelled') return { link, openPaymentId: null };
  if (link.status !== 'active') throw new ApiError('PAYMENT_LINK_NOT_ACTIVE', undefined, { payment_link_id: linkId, status: link.status });
  const ended = await endLink(work, scope.environment, link, 'cancelled', deps.now());
  return { link: ended, openPaymentId: null };
}
