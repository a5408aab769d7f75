// Settings › API Keys › Production / Sandbox: the keys, the one-time display of a new secret, delete confirmation.
import type { Environment } from '../../lib/environments.ts';
import type { ApiKeyRow } from '../../db/schema.ts';
import type { RequestLogRow } from '../../domain/request-log/request-log.ts';
import { html, time, type Html } from '../html.ts';
import { alert, environmentTabs, page, type PageContext } from './layout.ts';
import { requestLogTable } from './request-log.ts';

const envLabel: Record<Environment, string> = { production: 'Production', sandbox: 'Sandbox' };

export interface ApiKeysView {
  environment: Environment;
  served: readonly Environment[];
  keys: readonly ApiKeyRow[];
  creators: ReadonlyMap<string, string>;
  publicUrl: string;
  flushSeconds: number;
  /** Present only in the response to "Generate key": the one time the secret is shown. */
  created?: { key: ApiKeyRow; secret: string } | undefined;
  error?: string | undefined;
  notice?: string | undefined;
  formName?: string | undefined;
  /** One-time id of the generate form, so a reload of the result page does not mint a second key. */
  formId: string;
}

function createdBy(label: string, creators: ReadonlyMap<string, string>): string {
  return label === 'operator' ? 'PIK operator' : (creators.get(label) ?? 'a removed user');
}

function secretPanel(view: ApiKeysView): Html {
  if (!view.created) return html``;
  const { key, secret } = view.created;
  return html`<section class="secret-panel" aria-labelledby="new-key-title" tabindex="-1" id="new-key">
    <h2 id="new-key-title">New ${envLabel[key.environment].toLowerCase()} key “${key.name}”</h2>
    <p class="secret-warning"><strong>Copy this key now. It will not be shown again.</strong>
      PIK keeps only a hash of it. If you lose it, generate another key and delete this one.</p>
    <div class="secret-row">
      <label for="new-key-secret" class="visually-hidden">The new API key</label>
      <input id="new-key-secret" class="mono secret-value" type="text" readonly value="${secret}" autocomplete="off" spellcheck="false" data-testid="new-key-secret">
      <button type="button" class="button" data-copy-target="new-key-secret">Copy</button>
    </div>
    <p class="copy-status" role="status" aria-live="polite" data-copy-status></p>
    <p class="help">Check it works: <code>curl -H "Authorization: Bearer $PIK_API_KEY" ${view.publicUrl}/api/v1/account</code></p>
  </section>`;
}

function keyRows(view: ApiKeysView, keys: readonly ApiKeyRow[]): Html {
  return html`${keys.map(
    (k) => html`<tr data-key-id="${k.id}">
      <th scope="row"><span class="key-name">${k.name}</span>${k.exposed_at ? html` <span class="badge badge-danger" title="Seen in a URL on ${k.exposed_at.toISOString()}">Exposed — rotate</span>` : ''}</th>
      <td class="mono">${k.hint}</td>
      <td>${time(k.created_at)}<br><span class="muted small">by ${createdBy(k.created_by, view.creators)}</span></td>
      <td data-testid="last-used">${k.last_used_at ? html`${time(k.last_used_at)}<br><span class="muted small">from ${k.last_used_ip ?? 'unknown IP'}</span>` : html`<span class="muted">Never used</span>`}</td>
      <td class="actions">
        <a class="button button-small" href="/dashboard/settings/api-keys/${view.environment}/${k.id}/requests">Requests<span class="visually-hidden"> made with ${k.name}</span></a>
        <a class="button button-small button-danger" href="/dashboard/settings/api-keys/${view.environment}/${k.id}/delete">Delete<span class="visually-hidden"> ${k.name}</span></a>
      </td>
    </tr>`,
  )}`;
}

export function apiKeysView(ctx: PageContext, view: ApiKeysView): string {
  const env = view.environment;
  const active = view.keys.filter((k) => !k.revoked_at);
  const deleted = view.keys.filter((k) => k.revoked_at).slice(0, 10);
  const isProduction = env === 'production';
  return page(
    { ...ctx, environment: env },
    `API Keys · ${envLabel[env]}`,
    html`<header class="page-header">
      <p class="breadcrumb">Settings</p>
      <h1>API Keys</h1>
    </header>
    ${environmentTabs('/dashboard/settings/api-keys', env, view.served)}
    ${alert('error', view.error)}
    ${alert('success', view.notice)}
    ${secretPanel(view)}
    <div class="layout-with-aside">
      <div class="stack">
        <section class="card" aria-labelledby="keys-title">
          <div class="card-header">
            <h2 id="keys-title">${envLabel[env]} keys <span class="env-pill env-${env}">${isProduction ? 'pik_live_' : 'pik_test_'}</span></h2>
            <p class="muted small">“Last used” shows a use at once; with several server processes, one made through another within ${view.flushSeconds} s.</p>
          </div>
          ${active.length === 0
            ? html`<p class="empty">No active ${envLabel[env].toLowerCase()} keys. Generate one below.</p>`
            : html`<div class="table-wrap"><table class="table" data-testid="keys-table">
              <caption class="visually-hidden">Active ${envLabel[env].toLowerCase()} API keys</caption>
              <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>${keyRows(view, active)}</tbody>
            </table></div>`}
        </section>
        <section class="card" aria-labelledby="generate-title">
          <h2 id="generate-title">Generate key</h2>
          <form method="post" action="/dashboard/settings/api-keys/${env}" class="form form-inline">
            <input type="hidden" name="csrf" value="${ctx.csrf}">
            <input type="hidden" name="form_id" value="${view.formId}">
            <div class="field">
              <label for="key-name">Key name</label>
              <input id="key-name" name="name" type="text" required maxlength="100" placeholder="e.g. Backend ${new Date().getUTCFullYear()}" value="${view.formName ?? ''}" aria-describedby="key-name-help">
              <p id="key-name-help" class="help">Say where the key will live, so you know which one to delete later.</p>
            </div>
            ${isProduction
              ? html`<div class="field">
                <label for="confirm-password">Your password</label>
                <input id="confirm-password" name="password" type="password" required maxlength="256" autocomplete="current-password" aria-describedby="confirm-password-help">
                <p id="confirm-password-help" class="help">Production keys move real money; confirm it is you.</p>
              </div>`
              : ''}
            <div class="field field-button"><button type="submit" class="button button-primary">Generate ${envLabel[env].toLowerCase()} key</button></div>
          </form>
        </section>
        ${deleted.length > 0
          ? html`<section class="card" aria-labelledby="deleted-title">
            <h2 id="deleted-title">Recently deleted</h2>
            <div class="table-wrap"><table class="table table-quiet">
              <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Deleted</th><th scope="col">Last used</th></tr></thead>
              <tbody>${deleted.map(
                (k) => html`<tr><th scope="row">${k.name}</th><td class="mono">${k.hint}</td><td>${time(k.revoked_at)}</td><td>${k.last_used_at ? time(k.last_used_at) : html`<span class="muted">Never used</span>`}</td></tr>`,
              )}</tbody>
            </table></div>
          </section>`
          : ''}
      </div>
      <aside class="card aside" aria-labelledby="rotation-title">
        <h2 id="rotation-title">Rotating a key</h2>
        <ol class="steps">
          <li><strong>Generate</strong> a new key here. Several keys can be active at once.</li>
          <li><strong>Switch</strong> your application to the new key; leave the old one running.</li>
          <li><strong>Verify</strong>: the new key's “Last used” moves, and the old key's stops moving.</li>
          <li><strong>Delete</strong> the old key. Requests with it fail at once with <code>401 API_KEY_REVOKED</code>.</li>
        </ol>
        <p class="help">A key marked <span class="badge badge-danger">Exposed</span> was sent in a URL and may sit in logs: rotate it now.</p>
        <p class="help">${isProduction ? 'Never use a production key in a test environment.' : 'Sandbox keys only move simulated money. Never use one in production.'}</p>
      </aside>
    </div>`,
  );
}

export function confirmDeleteView(ctx: PageContext, key: ApiKeyRow): string {
  const env = key.environment;
  return page(
    { ...ctx, environment: env },
    'Delete API key',
    html`<header class="page-header"><p class="breadcrumb"><a href="/dashboard/settings/api-keys/${env}">API Keys · ${envLabel[env]}</a></p><h1>Delete API key</h1></header>
    <section class="card narrow danger-zone" aria-labelledby="confirm-title">
      <h2 id="confirm-title">Delete “${key.name}” (<span class="mono">${key.hint}</span>)?</h2>
      <p>Every request made with this key will fail with <code>401 API_KEY_REVOKED</code> from the moment you confirm, on every PIK server. This cannot be undone.</p>
      <p>Last used: ${key.last_used_at ? html`${time(key.last_used_at)} from ${key.last_used_ip ?? 'an unknown IP'}` : 'never'}.</p>
      <form method="post" action="/dashboard/settings/api-keys/${env}/${key.id}/delete" class="button-row">
        <input type="hidden" name="csrf" value="${ctx.csrf}">
        <button type="submit" class="button button-danger">Delete key</button>
        <a class="button" href="/dashboard/settings/api-keys/${env}">Cancel</a>
      </form>
    </section>`,
  );
}

export function keyRequestsView(ctx: PageContext, key: ApiKeyRow, rows: readonly RequestLogRow[]): string {
  const env = key.environment;
  return page(
    { ...ctx, environment: env },
    `Requests · ${key.name}`,
    html`<header class="page-header"><p class="breadcrumb"><a href="/dashboard/settings/api-keys/${env}">API Keys · ${envLabel[env]}</a></p>
      <h1>Requests made with “${key.name}”</h1>
      <p class="muted"><span class="mono">${key.hint}</span>${key.revoked_at ? html` · deleted ${time(key.revoked_at)}` : ''} · latest requests first (up to 100), kept for 7 days. Bodies, headers and query strings are never recorded.</p>
    </header>
    <section class="card">${requestLogTable(rows, `Requests made with ${key.name}`, 'No requests with this key yet.')}</section>`,
  );
}
