// Settings › Audit log: who did what, newest first, with filters, paging and a CSV export of the same selection.
import type { AuditLogRow } from '../../db/schema.ts';
import { auditActorTypes } from '../../db/schema.ts';
import { auditActionCatalogue, auditActions } from '../../lib/audit-actions.ts';
import type { Environment } from '../../lib/environments.ts';
import { html, time, type Html } from '../html.ts';
import { alert, page, type PageContext } from './layout.ts';

export interface AuditLogView {
  rows: readonly AuditLogRow[];
  /** The filters as given (text), to fill the form and build the links. */
  filters: Record<'action' | 'actor_type' | 'environment' | 'since' | 'until', string>;
  served: readonly Environment[];
  nextCursor: string | null;
  isFirstPage: boolean;
  /** Who the user ids are. */
  people: ReadonlyMap<string, string>;
  error?: string | undefined;
}

function query(filters: Record<string, string>, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams(Object.entries({ ...filters, ...extra }).filter(([, v]) => v !== ''));
  const text = params.toString();
  return text ? `?${text}` : '';
}

function actorText(row: AuditLogRow, people: ReadonlyMap<string, string>): Html {
  switch (row.actor_type) {
    case 'user':
      return html`${row.actor_id ? (people.get(row.actor_id) ?? row.actor_id) : 'someone'}`;
    case 'api_key':
      return html`API key <span class="mono">${row.actor_id}</span>`;
    case 'operator':
      return html`PIK operator`;
    default:
      return html`PIK`;
  }
}

function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('; ');
}

export function auditLogView(ctx: PageContext, view: AuditLogView): string {
  const f = view.filters;
  const select = (name: string, label: string, options: readonly { value: string; label: string }[]) => html`<div class="field">
      <label for="filter-${name}">${label}</label>
      <select id="filter-${name}" name="${name}">
        <option value="">Any</option>
        ${options.map((o) => html`<option value="${o.value}"${f[name as keyof typeof f] === o.value ? html` selected` : ''}>${o.label}</option>`)}
      </select>
    </div>`;
  return page(
    { ...ctx },
    'Audit log',
    html`<header class="page-header"><p class="breadcrumb">Settings</p><h1>Audit log</h1>
      <p class="muted">Security-relevant actions on this platform: keys, sign-ins, the team, webhooks and what the PIK operator did. Entries can never be changed or deleted.</p>
    </header>
    ${alert('error', view.error)}
    <section class="card" aria-labelledby="filters-title">
      <h2 id="filters-title" class="visually-hidden">Filters</h2>
      <form method="get" action="/dashboard/settings/audit-log" class="form form-inline" data-testid="audit-filters">
        ${select('action', 'Action', auditActions.map((a) => ({ value: a, label: auditActionCatalogue[a].label })))}
        ${select('actor_type', 'Actor', auditActorTypes.map((a) => ({ value: a, label: { user: 'Dashboard user', operator: 'PIK operator', api_key: 'API key', system: 'PIK (automatic)' }[a] })))}
        ${select('environment', 'Environment', view.served.map((e) => ({ value: e, label: e === 'production' ? 'Production' : 'Sandbox' })))}
        <div class="field"><label for="filter-since">From</label><input id="filter-since" name="since" type="date" value="${f.since}"></div>
        <div class="field"><label for="filter-until">Before</label><input id="filter-until" name="until" type="date" value="${f.until}"></div>
        <div class="field field-button"><button type="submit" class="button">Filter</button></div>
        <div class="field field-button"><a class="button" href="/dashboard/settings/audit-log.csv${query(f)}" data-testid="audit-csv" download>Export CSV</a></div>
      </form>
    </section>
    <section class="card" aria-labelledby="entries-title">
      <h2 id="entries-title" class="visually-hidden">Entries</h2>
      ${view.rows.length === 0
        ? html`<p class="empty">No entries${Object.values(f).some(Boolean) ? ' match these filters' : ' yet'}.</p>`
        : html`<div class="table-wrap"><table class="table" data-testid="audit-table">
          <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Environment</th><th scope="col">From</th><th scope="col">Details</th></tr></thead>
          <tbody>${view.rows.map(
            (r) => html`<tr data-action="${r.action}">
              <td>${time(r.occurred_at)}</td>
              <td>${actorText(r, view.people)}</td>
              <td>${(auditActionCatalogue as Record<string, { label: string }>)[r.action]?.label ?? r.action}</td>
              <td class="mono small">${r.target_id ?? r.target_type}</td>
              <td>${r.environment ?? html`<span class="muted">—</span>`}</td>
              <td class="small">${r.ip ?? ''}${r.user_agent ? html`<br><span class="muted" title="${r.user_agent}">${r.user_agent.slice(0, 40)}</span>` : ''}</td>
              <td class="small">${detailsText(r.details)}</td>
            </tr>`,
          )}</tbody>
        </table></div>`}
      <nav class="button-row" aria-label="Pages">
        ${view.isFirstPage ? '' : html`<a class="button" href="/dashboard/settings/audit-log${query(f)}">Newest</a>`}
        ${view.nextCursor ? html`<a class="button" href="/dashboard/settings/audit-log${query(f, { cursor: view.nextCursor })}" data-testid="audit-older">Older entries</a>` : ''}
      </nav>
    </section>`,
  );
}
