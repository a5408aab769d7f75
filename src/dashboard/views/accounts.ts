// Accounts: the platform's connected accounts per environment, and one account's status, money and requests.
import type { Environment } from '../../lib/environments.ts';
import type { AccountRow } from '../../db/schema.ts';
import { capabilities, capabilityCatalogue } from '../../lib/capabilities.ts';
import type { RequestLogRow } from '../../domain/request-log/request-log.ts';
import type { AccountMoney } from '../../domain/dashboard/account-money.ts';
import { netAmountOf } from '../../domain/ledger/wallets.ts';
import { formatMinor } from '../../lib/money.ts';
import { copyableId, html, time, type Html } from '../html.ts';
import { environmentTabs, page, type PageContext } from './layout.ts';
import { requestLogTable } from './request-log.ts';

const envLabel: Record<Environment, string> = { production: 'Production', sandbox: 'Sandbox' };

function verificationBadge(status: string): Html {
  const tone = status === 'approved' ? 'success' : status === 'rejected' ? 'danger' : status === 'unverified' ? 'neutral' : 'warning';
  return html`<span class="badge badge-${tone}">${status.replace('_', ' ')}</span>`;
}

function capabilityList(row: AccountRow): Html {
  return html`<ul class="capabilities">${capabilities.map((c) => {
    const isActive = row.capabilities.includes(c);
    return html`<li class="${isActive ? 'cap-on' : 'cap-off'}"><span aria-hidden="true">${isActive ? '●' : '○'}</span> ${capabilityCatalogue[c].label}<span class="visually-hidden">: ${isActive ? 'active' : 'inactive'}</span></li>`;
  })}</ul>`;
}

export interface AccountsListView {
  environment: Environment;
  served: readonly Environment[];
  query: string;
  accounts: readonly AccountRow[];
  nextCursor: string | null;
}

export function accountsView(ctx: PageContext, view: AccountsListView): string {
  const env = view.environment;
  const next = view.nextCursor ? `/dashboard/accounts/${env}?${new URLSearchParams({ ...(view.query ? { q: view.query } : {}), cursor: view.nextCursor })}` : null;
  return page(
    { ...ctx, environment: env },
    `Accounts · ${envLabel[env]}`,
    html`<header class="page-header"><h1>Accounts</h1>
      <p class="muted">Your connected accounts: verification, capabilities, balances and transactions — what you need to answer “where is my money”.</p></header>
    ${environmentTabs('/dashboard/accounts', env, view.served)}
    <section class="card">
      <form method="get" action="/dashboard/accounts/${env}" class="form form-inline search" role="search">
        <div class="field field-grow">
          <label for="q">Search by email, reference_id or account id</label>
          <input id="q" name="q" type="search" maxlength="254" value="${view.query}" placeholder="jane@example.com, cust_123 or acct_…">
        </div>
        <div class="field field-button"><button type="submit" class="button">Search</button></div>
        ${view.query ? html`<div class="field field-button"><a class="button button-quiet" href="/dashboard/accounts/${env}">Clear</a></div>` : ''}
      </form>
      <p class="small"><a href="/dashboard/accounts/${env}/${ctx.user.platformId}">Your platform account (${ctx.user.platformName}) →</a></p>
      ${view.accounts.length === 0
        ? html`<p class="empty">${view.query ? 'No connected account matches this search.' : `No ${envLabel[env].toLowerCase()} connected accounts yet. Create them with POST /api/v1/accounts.`}</p>`
        : html`<div class="table-wrap"><table class="table">
          <caption class="visually-hidden">${envLabel[env]} connected accounts</caption>
          <thead><tr><th scope="col">Account</th><th scope="col">Reference id</th><th scope="col">Type</th><th scope="col">Verification</th><th scope="col">Capabilities</th><th scope="col">Created</th></tr></thead>
          <tbody>${view.accounts.map(
            (a) => html`<tr>
              <th scope="row"><a href="/dashboard/accounts/${env}/${a.id}">${a.display_name ?? a.email ?? a.id}</a><br><span class="small">${copyableId(a.id)}</span></th>
              <td class="mono">${a.reference_id ?? html`<span class="muted">—</span>`}</td>
              <td>${a.customer_type ?? ''}${a.country ? html` · ${a.country}` : ''}</td>
              <td>${verificationBadge(a.verification_status)}</td>
              <td>${capabilityList(a)}</td>
              <td>${time(a.created_at)}</td>
            </tr>`,
          )}</tbody>
        </table></div>`}
      ${next ? html`<p><a class="button" href="${next}">Older accounts →</a></p>` : ''}
    </section>`,
  );
}

/** One line for support staff: who the money came from or went to. */
function describeCounterparty(counterparty: Record<string, unknown> | null): string | null {
  if (!counterparty) return null;
  if (counterparty.type === 'fx_conversion') {
    return `FX conversion ${String(counterparty.sell_currency)} → ${String(counterparty.buy_currency)} at ${String(counterparty.rate)} (${String(counterparty.conversion_id)})`;
  }
  const parts = [counterparty.account_id, counterparty.name, counterparty.account_name, counterparty.bsb, counterparty.account_number, counterparty.address]
    .filter((v): v is string => typeof v === 'string' && v.length > 0);
  const type = typeof counterparty.type === 'string' ? counterparty.type.replace(/_/g, ' ') : 'counterparty';
  return parts.length > 0 ? `${type}: ${parts.join(' ')}` : type;
}

function moneySection(money: AccountMoney): Html {
  return html`<section class="card" aria-labelledby="money-title"><h2 id="money-title">Balances</h2>
    ${money.balances.length === 0
      ? html`<p class="empty">No balances yet.</p>`
      : html`<div class="table-wrap"><table class="table"><thead><tr><th scope="col">Currency</th><th scope="col" class="num">Available</th><th scope="col" class="num">Pending</th></tr></thead>
        <tbody>${money.balances.map((b) => html`<tr><th scope="row">${b.currency}</th><td class="num mono">${formatMinor(b.available, b.currency)}</td><td class="num mono">${formatMinor(b.pending, b.currency)}</td></tr>`)}</tbody></table></div>`}
    <h2>Latest transactions</h2>
    ${money.transactions.length === 0
      ? html`<p class="empty">No transactions yet.</p>`
      : html`<div class="table-wrap"><table class="table"><thead><tr><th scope="col">Time</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col" class="num">Amount</th><th scope="col" class="num">Fee</th><th scope="col" class="num">Net</th><th scope="col">Reference</th><th scope="col">Counterparty</th><th scope="col">Id</th></tr></thead>
        <tbody>${money.transactions.map(
          (t) => html`<tr><td>${time(t.created_at)}</td><td>${t.type}</td><td>${t.status}</td><td class="num mono">${formatMinor(t.amount, t.currency)} ${t.currency}</td><td class="num mono">${formatMinor(t.fee, t.currency)}</td><td class="num mono">${formatMinor(netAmountOf(t), t.currency)}</td><td>${t.reference ?? ''}</td><td>${describeCounterparty(t.counterparty) ?? ''}</td><td class="small">${copyableId(t.id)}</td></tr>`,
        )}</tbody></table></div>`}
  </section>`;
}

export function accountView(ctx: PageContext, account: AccountRow, environment: Environment, money: AccountMoney, requests: readonly RequestLogRow[]): string {
  const title = account.display_name ?? account.email ?? account.id;
  return page(
    { ...ctx, environment },
    title,
    html`<header class="page-header"><p class="breadcrumb"><a href="/dashboard/accounts/${environment}">Accounts · ${envLabel[environment]}</a></p>
      <h1>${title}</h1><p class="mono muted">${account.id}</p></header>
    <div class="grid-2">
      <section class="card" aria-labelledby="details-title"><h2 id="details-title">Details</h2>
        <dl class="details">
          <dt>Type</dt><dd>${account.type === 'platform' ? 'Platform account' : `Connected · ${account.customer_type ?? ''}`}</dd>
          <dt>Email</dt><dd>${account.email ?? '—'}</dd>
          <dt>Reference id</dt><dd class="mono">${account.reference_id ?? '—'}</dd>
          <dt>Country</dt><dd>${account.country ?? '—'}</dd>
          <dt>Created</dt><dd>${time(account.created_at)}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="status-title"><h2 id="status-title">Verification and capabilities</h2>
        <p>Verification: ${verificationBadge(account.verification_status)}</p>
        ${capabilityList(account)}
        ${account.verification_status !== 'approved' ? html`<p class="help">Capabilities can be activated once the account is approved.</p>` : ''}
      </section>
    </div>
    ${moneySection(money)}
    ${account.type === 'connected'
      ? html`<section class="card" aria-labelledby="requests-title"><h2 id="requests-title">Latest API requests for this account</h2>
        <p class="muted small">Requests made with x-on-behalf-of this account or naming it in the path; kept for 7 days.</p>
        ${requestLogTable(requests, `API requests for ${title}`, 'No API requests for this account yet.')}
      </section>`
      : html`<p class="muted">Requests your platform makes in its own scope are listed per key, under <a href="/dashboard/settings/api-keys/${environment}">Settings › API Keys</a> › Requests.</p>`}`,
  );
}
