// Payments › Payment Links: the platform's links per environment (list, create, cancel), a link with its payments, and
// one payment.
import type { AccountRow, PaymentLinkStatus, PaymentRow } from '../../db/schema.ts';
import type { PaymentLinkView } from '../../domain/payment-links/links.ts';
import { paymentLinkCurrencies } from '../../domain/payment-links/links.ts';
import type { Environment } from '../../lib/environments.ts';
import { formatMinor } from '../../lib/money.ts';
import { html, time, type Html } from '../html.ts';
import { alert, environmentTabs, page, type PageContext } from './layout.ts';

const envLabel: Record<Environment, string> = { production: 'Production', sandbox: 'Sandbox' };
const statusFilters: readonly (PaymentLinkStatus | 'all')[] = ['all', 'active', 'paid', 'expired', 'cancelled'];

function linkBadge(status: string): Html {
  const tone = status === 'active' ? 'success' : status === 'paid' ? 'neutral' : status === 'cancelled' ? 'danger' : 'warning';
  return html`<span class="badge badge-${tone}">${status}</span>`;
}

function paymentBadge(payment: Pick<PaymentRow, 'status' | 'partial'>): Html {
  const tone = payment.status === 'settled' || payment.status === 'overpaid' ? 'success' : payment.status === 'expired' ? 'danger' : payment.status === 'underpaid' ? 'warning' : 'neutral';
  return html`<span class="badge badge-${tone}">${payment.status.replace('_', ' ')}${payment.partial ? ' (partial)' : ''}</span>`;
}

function linkAmount(link: PaymentLinkView['link']): string {
  return link.amount === null ? `Any amount · ${link.currency}` : `${formatMinor(link.amount, link.currency)} ${link.currency}`;
}

export interface LinkFormValues {
  accountId: string;
  amountType: string;
  currency: string;
  amount: string;
  reference: string;
  expiry: string;
  singleUse: boolean;
  merchantName: string;
  redirectUrl: string;
}

export interface LinksListView {
  environment: Environment;
  served: readonly Environment[];
  status: PaymentLinkStatus | 'all';
  links: PaymentLinkView[];
  nextCursor: string | null;
  accounts: AccountRow[];
  publicUrl: string;
  error?: string | undefined;
  notice?: string | undefined;
  form?: LinkFormValues | undefined;
}

function createForm(ctx: PageContext, view: LinksListView): Html {
  const env = view.environment;
  const v = view.form;
  const selected = (value: string, current: string | undefined) => (value === current ? html` selected` : '');
  return html`<section class="card" aria-labelledby="new-link">
    <h2 id="new-link">Create a ${envLabel[env].toLowerCase()} payment link</h2>
    <form method="post" action="/dashboard/payments/links/${env}" class="form">
      <input type="hidden" name="csrf" value="${ctx.csrf}">
      <div class="form-inline">
        <div class="field"><label for="account_id">Paid to</label>
          <select id="account_id" name="account_id">
            <option value="${ctx.user.platformId}"${selected(ctx.user.platformId, v?.accountId)}>${ctx.user.platformName} (your platform)</option>
            ${view.accounts.map((a) => html`<option value="${a.id}"${selected(a.id, v?.accountId)}>${a.display_name ?? a.email ?? a.id}</option>`)}
          </select></div>
        <div class="field field-fixed"><label for="currency">Currency</label>
          <select id="currency" name="currency">${paymentLinkCurrencies.map((c) => html`<option${selected(c, v?.currency)}>${c}</option>`)}</select></div>
        <div class="field field-fixed"><label for="amount_type">Amount</label>
          <select id="amount_type" name="amount_type"><option value="fixed"${selected('fixed', v?.amountType)}>Fixed</option><option value="open"${selected('open', v?.amountType)}>Payer chooses</option></select></div>
        <div class="field"><label for="amount">Fixed amount</label><input id="amount" name="amount" type="text" inputmode="decimal" maxlength="30" value="${v?.amount ?? ''}" placeholder="100.00"></div>
      </div>
      <div class="form-inline">
        <div class="field"><label for="reference">Reference (the payer types it)</label><input id="reference" name="reference" type="text" maxlength="18" required value="${v?.reference ?? ''}" placeholder="INV-1001"></div>
        <div class="field"><label for="expiry">Expires after (optional)</label><input id="expiry" name="expiry" type="text" maxlength="40" value="${v?.expiry ?? ''}" placeholder="7d, 24h or an ISO date-time"></div>
        <div class="field"><label for="merchant_name">Merchant name (optional)</label><input id="merchant_name" name="merchant_name" type="text" maxlength="100" value="${v?.merchantName ?? ''}"></div>
      </div>
      <label for="redirect_url">Return the payer to (optional)</label><input id="redirect_url" name="redirect_url" type="text" maxlength="2000" value="${v?.redirectUrl ?? ''}" placeholder="https://…">
      <div class="choice"><input id="single_use" name="single_use" type="checkbox"${v?.singleUse ? html` checked` : ''}><label for="single_use">Single use: paid once, then closed</label></div>
      <p><button type="submit" class="button button-primary">Create payment link</button></p>
    </form>
  </section>`;
}

export function linksView(ctx: PageContext, view: LinksListView): string {
  const env = view.environment;
  const base = `/dashboard/payments/links/${env}`;
  const next = view.nextCursor ? `${base}?${new URLSearchParams({ ...(view.status === 'all' ? {} : { status: view.status }), cursor: view.nextCursor })}` : null;
  return page(
    { ...ctx, environment: env },
    `Payment links · ${envLabel[env]}`,
    html`<header class="page-header"><p class="breadcrumb">Payments</p><h1>Payment links</h1>
      <p class="muted">A hosted page and QR code a payer pays through; money carrying the link's reference is matched to it. See docs/payment-links.md.</p></header>
    ${environmentTabs('/dashboard/payments/links', env, view.served)}
    ${alert('error', view.error)}
    ${alert('success', view.notice)}
    <section class="card">
      <nav class="filters" aria-label="Status">${statusFilters.map(
        (s) => html`<a class="tab" href="${s === 'all' ? base : `${base}?status=${s}`}"${s === view.status ? html` aria-current="page"` : ''}>${s === 'all' ? 'All' : s}</a> `,
      )}</nav>
      ${view.links.length === 0
        ? html`<p class="empty">No ${view.status === 'all' ? '' : `${view.status} `}${envLabel[env].toLowerCase()} payment links.</p>`
        : html`<div class="table-wrap"><table class="table">
          <caption class="visually-hidden">${envLabel[env]} payment links</caption>
          <thead><tr><th scope="col">Reference</th><th scope="col">Amount</th><th scope="col">Status</th><th scope="col">Paid to</th><th scope="col">Created</th><th scope="col">Page</th></tr></thead>
          <tbody>${view.links.map(
            ({ link }) => html`<tr>
              <th scope="row"><a href="${base}/${link.id}">${link.reference}</a><br><span class="mono small muted">${link.id}</span></th>
              <td>${linkAmount(link)}${link.single_use ? html`<br><span class="small muted">single use</span>` : ''}</td>
              <td>${linkBadge(link.status)}</td>
              <td class="mono small">${link.account_id === ctx.user.platformId ? 'your platform' : link.account_id}</td>
              <td>${time(link.created_at)}</td>
              <td><a href="${view.publicUrl}/pay/${link.id}">Open</a></td>
            </tr>`,
          )}</tbody>
        </table></div>`}
      ${next ? html`<p><a class="button" href="${next}">Older links →</a></p>` : ''}
    </section>
    ${createForm(ctx, view)}`,
  );
}

export interface LinkPageView {
  environment: Environment;
  link: PaymentLinkView;
  payments: PaymentRow[];
  publicUrl: string;
  notice?: string | undefined;
}

function paymentsTable(env: Environment, payments: PaymentRow[]): Html {
  if (payments.length === 0) return html`<p class="empty">No payments yet.</p>`;
  return html`<div class="table-wrap"><table class="table">
    <caption class="visually-hidden">Payments</caption>
    <thead><tr><th scope="col">Payment</th><th scope="col">Status</th><th scope="col">Expected</th><th scope="col">Received</th><th scope="col">Created</th></tr></thead>
    <tbody>${payments.map(
      (p) => html`<tr>
        <th scope="row"><a class="mono" href="/dashboard/payments/${env}/${p.id}">${p.id}</a></th>
        <td>${paymentBadge(p)}</td>
        <td>${p.amount_expected === null ? 'any' : `${formatMinor(p.amount_expected, p.currency)} ${p.currency}`}</td>
        <td>${formatMinor(p.amount_received, p.currency)} ${p.currency}</td>
        <td>${time(p.created_at)}</td>
      </tr>`,
    )}</tbody>
  </table></div>`;
}

export function linkPageView(ctx: PageContext, view: LinkPageView): string {
  const env = view.environment;
  const { link } = view.link;
  const url = `${view.publicUrl}/pay/${link.id}`;
  return page(
    { ...ctx, environment: env },
    `Payment link ${link.reference}`,
    html`<header class="page-header"><p class="breadcrumb"><a href="/dashboard/payments/links/${env}">Payment links</a> › ${envLabel[env]}</p>
      <h1>${link.reference} ${linkBadge(link.status)}</h1></header>
    ${alert('success', view.notice)}
    <section class="card">
      <dl class="details">
        <dt>Link</dt><dd class="mono">${link.id}</dd>
        <dt>Amount</dt><dd>${linkAmount(link)}</dd>
        <dt>Paid to</dt><dd class="mono">${link.account_id === ctx.user.platformId ? html`your platform` : html`<a href="/dashboard/accounts/${env}/${link.account_id}">${link.account_id}</a>`}</dd>
        <dt>Payment page</dt><dd><a href="${url}">${url}</a></dd>
        <dt>QR code</dt><dd><a href="${url}/qr.svg">${url}/qr.svg</a></dd>
        <dt>Use</dt><dd>${link.single_use ? 'Single use' : 'Reusable: a new payment opens after each one settles'}</dd>
        <dt>Expires</dt><dd>${link.expires_at ? time(link.expires_at) : 'Never'}</dd>
        <dt>Merchant name</dt><dd>${link.merchant_name ?? html`<span class="muted">the account's name</span>`}</dd>
        <dt>Return URL</dt><dd class="mono">${link.redirect_url ?? '—'}</dd>
        <dt>Webhook URL</dt><dd class="mono">${link.webhook_url ?? '—'}</dd>
        <dt>Created</dt><dd>${time(link.created_at)}</dd>
        ${link.ended_at ? html`<dt>Ended</dt><dd>${time(link.ended_at)}</dd>` : ''}
      </dl>
      ${link.status === 'active'
        ? html`<form method="post" action="/dashboard/payments/links/${env}/${link.id}/cancel" class="form danger-zone">
            <input type="hidden" name="csrf" value="${ctx.csrf}">
            <p class="small muted">Cancelling stops the page taking payments. Money an open payment already received is held for PIK to assign or return.</p>
            <button type="submit" class="button button-danger">Cancel payment link</button>
          </form>`
        : ''}
    </section>
    <section class="card"><h2>Payments</h2>${paymentsTable(env, view.payments)}</section>`,
  );
}

export function paymentPageView(ctx: PageContext, environment: Environment, payment: PaymentRow): string {
  const money = (minor: bigint | null) => (minor === null ? 'any amount' : `${formatMinor(minor, payment.currency)} ${payment.currency}`);
  return page(
    { ...ctx, environment },
    `Payment ${payment.id}`,
    html`<header class="page-header"><p class="breadcrumb"><a href="/dashboard/payments/links/${environment}">Payment links</a> › <a href="/dashboard/payments/links/${environment}/${payment.payment_link_id}">${payment.reference}</a></p>
      <h1>Payment ${paymentBadge(payment)}</h1></header>
    <section class="card">
      <dl class="details">
        <dt>Payment</dt><dd class="mono">${payment.id}</dd>
        <dt>Link</dt><dd class="mono"><a href="/dashboard/payments/links/${environment}/${payment.payment_link_id}">${payment.payment_link_id}</a></dd>
        <dt>Reference</dt><dd class="mono">${payment.reference}</dd>
        <dt>Expected</dt><dd>${money(payment.amount_expected)}</dd>
        <dt>Received</dt><dd>${money(payment.amount_received)}</dd>
        <dt>Partial</dt><dd>${payment.partial ? 'Yes: accepted for less than expected' : 'No'}</dd>
        <dt>Created</dt><dd>${time(payment.created_at)}</dd>
        <dt>Settled</dt><dd>${time(payment.settled_at)}</dd>
        <dt>Expired</dt><dd>${time(payment.expired_at)}</dd>
      </dl>
      ${payment.status === 'underpaid' ? html`<p class="small muted">Underpaid: the money received waits in the wallet's pending balance until the rest arrives, you accept it (POST /api/v1/payments/${payment.id}/accept-partial) or the link expires.</p>` : ''}
    </section>`,
  );
}
