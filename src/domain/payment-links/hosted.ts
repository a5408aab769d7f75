// What the hosted payment page (/pay/{id}) shows a payer: no sign-in, so only what a payer needs — the merchant, the
// amount, where to pay and the state of the payment — and no internal id but the link's.
import type { PaymentLinkRow, PaymentLinkStatus } from '../../db/schema.ts';
import type { Environment } from '../../lib/environments.ts';
import { isId } from '../../lib/ids.ts';
import { formatMinor } from '../../lib/money.ts';
import { transferRequestUri, type SplCurrency } from '../../lib/solana-pay.ts';
import type { Deps } from '../deps.ts';
import { getVirtualAccountDetails } from '../ledger/virtual-accounts.ts';

/** The payer's view of where things stand. */
export type PayerState = 'awaiting_funds' | 'underpaid' | 'paid' | 'expired' | 'cancelled';

export interface PayerStatus {
  state: PayerState;
  currency: string;
  /** What the open payment has received so far (underpaid), else null. */
  amountReceived: string | null;
  /** Where to send the payer once paid. */
  redirectUrl: string | null;
}

export interface HostedLink {
  environment: Environment;
  link: PaymentLinkRow;
  merchantName: string;
  amount: string | null;
  bank: { bsb: string; accountNumber: string; accountName: string } | null;
  solana: { address: string; uri: string } | null;
  status: PayerStatus;
}

const endedStates: Record<Exclude<PaymentLinkStatus, 'active'>, PayerState> = { paid: 'paid', expired: 'expired', cancelled: 'cancelled' };

/** The link by id in whichever environment holds it (ids are unique across both). */
async function findLink(deps: Deps, linkId: string): Promise<{ environment: Environment; link: PaymentLinkRow } | undefined> {
  if (!isId('paymentLink', linkId)) return undefined;
  for (const environment of deps.config.environments) {
    const link = await deps.db.env(environment).selectFrom('payment_links').selectAll().where('id', '=', linkId).executeTakeFirst();
    if (link) return { environment, link };
  }
  return undefined;
}

/**
 * The payer's state: an ended link says so; an active one shows its open payment, or `paid` when one of its payments
 * settled since `since` (the moment the page was shown), so a payer watching the page of a reusable link sees theirs.
 * A link past its expiry shows expired before the expirer's pass reaches it.
 */
async function payerStatus(deps: Deps, environment: Environment, link: PaymentLinkRow, since: Date | null): Promise<PayerStatus> {
  const base = { currency: link.currency, amountReceived: null, redirectUrl: null };
  const now = deps.now();
  if (link.status === 'paid') return { ...base, state: 'paid', redirectUrl: link.redirect_url };
  if (link.status !== 'active') return { ...base, state: endedStates[link.status] };
  const db = deps.db.env(environment);
  if (since !== null) {
    const settled = await db.selectFrom('payments').select('id').where('payment_link_id', '=', link.id).where('status', 'in', ['settled', 'overpaid']).where('settled_at', '>=', since).executeTakeFirst();
    if (settled) return { ...base, state: 'paid', redirectUrl: link.redirect_url };
  }
  if (link.expires_at !== null && link.expires_at <= now) return { ...base, state: 'expired' };
  const open = await db.selectFrom('payments').select(['status', 'amount_received']).where('payment_link_id', '=', link.id).where('status', 'in', ['awaiting_funds', 'underpaid']).executeTakeFirst();
  if (open?.status === 'underpaid') return { ...base, state: 'underpaid', amountReceived: formatMinor(open.amount_received, link.currency) };
  return { ...base, state: 'awaiting_funds' };
}

export async function readPayerStatus(deps: Deps, linkId: string, since: Date | null): Promise<PayerStatus | undefined> {
  const found = await findLink(deps, linkId);
  return found ? payerStatus(deps, found.environment, found.link, since) : undefined;
}

export async function readHostedLink(deps: Deps, linkId: string): Promise<HostedLink | undefined> {
  const found = await findLink(deps, linkId);
  if (!found) return undefined;
  const { environment, link } = found;
  const db = deps.db.env(environment);
  const account = await db.selectFrom('accounts').select(['display_name']).where('id', '=', link.account_id).executeTakeFirst();
  const merchantName = link.merchant_name ?? account?.display_name ?? 'the merchant';
  const amount = link.amount === null ? null : formatMinor(link.amount, link.currency);
  let bank: HostedLink['bank'] = null;
  let solana: HostedLink['solana'] = null;
  if (link.currency === 'AUD') {
    const details = await getVirtualAccountDetails(deps.db, environment, link.account_id);
    if (details) bank = { bsb: details.bsb, accountNumber: details.accountNumber, accountName: details.accountName };
  } else {
    const row = await db.selectFrom('receiving_addresses').select('address').where('account_id', '=', link.account_id).where('currency', '=', link.currency as SplCurrency).executeTakeFirst();
    if (row) {
      const uri = transferRequestUri({
        recipient: row.address,
        currency: link.currency as SplCurrency,
        amount,
        linkId: link.id,
        memo: link.reference,
        label: merchantName,
        message: `Payment ${link.reference}`,
      });
      solana = { address: row.address, uri };
    }
  }
  return { environment, link, merchantName, amount, bank, solana, status: await payerStatus(deps, environment, link, null) };
}
