// Settings › API Keys › Production / Sandbox: the keys, the one-time display of a new secret, delete confirmation.
import type { Environment } from '../../lib/environments.ts';
import type { ApiKeyRow } from '../../db/schema.ts';
import type { RequestLogRow } from '../../domain/request-log/request-log.ts';
import { keyResourceCatalogue, keyResources, describeKeyPermissions, storedKeyPermissions, type KeyPermissions } from '../../lib/key-permissions.ts';
import { maxAllowedIps } from '../../lib/ip-allowlist.ts';
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
  /** The instant "expires in …" is counted from. */
  now: Date;
  /** Present in the answer to "Roll key…": the old key, now expiring. */
  rolledFrom?: ApiKeyRow | undefined;
}

/** The roll choices the dashboard offers, in seconds (the API takes any from 0 to 7 days). */
export const rollChoices = [
  { seconds: 0, label: 'Now' },
  { seconds: 3600, label: 'In 1 hour' },
  { seconds: 86_400, label: 'In 24 hours' },
  { seconds: 3 * 86_400, label: 'In 3 days' },
  { seconds: 7 * 86_400, label: 'In 7 days' },
] as const;

/** The expiry choices of the Generate form. */
export const expiryChoices = [
  { value: '', label: 'Never' },
  { value: '7d', label: 'In 7 days' },
  { value: '30d', label: 'In 30 days' },
  { value: '90d', label: 'In 90 days' },
  { value: '365d', label: 'In 1 year' },
] as const;

/** "23 h", "6 d", "45 min": how long until `at`, rounded down, for the list. */
export function durationUntil(at: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((at.getTime() - now.getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h`;
  return `${Math.floor(minutes / 1440)} d`;
}

function permissionsOfRow(k: ApiKeyRow): KeyPermissions {
  return storedKeyPermissions(k.permissions);
}

/** The key's restrictions at a glance: access, expiry, allowlist, and its link to a rolled key. */
function restrictionCell(view: { now: Date; keys: readonly ApiKeyRow[] }, k: ApiKeyRow): Html {
  const permissions = permissionsOfRow(k);
  const byId = (id: string | null) => (id ? view.keys.find((x) => x.id === id) : undefined);
  const successor = byId(k.rolled_to);
  const predecessor = byId(k.rolled_from);
  return html`<ul class="restrictions" data-testid="restrictions">
    <li>${permissions === 'full' ? html`<span class="badge badge-neutral">Full access</span>` : html`<span class="badge badge-info" title="${describeKeyPermissions(permissions)}">Restricted</span> <span class="small">${Object.entries(permissions).map(([r, a]) => `${r} ${a}`).join(', ')}</span>`}</li>
    ${k.expires_at
      ? html`<li data-testid="expiry">${k.expires_at.getTime() <= view.now.getTime() ? html`<span class="badge badge-danger">Expired</span> ${time(k.expires_at)}` : html`<span class="badge badge-warning">expires in ${durationUntil(k.expires_at, view.now)}</span>`}</li>`
      : ''}
    ${k.allowed_ips ? html`<li><span class="badge badge-neutral" title="${k.allowed_ips.join(', ')}">IP allowlist (${k.allowed_ips.length})</span></li>` : ''}
    ${k.rolled_to ? html`<li class="small" data-testid="rolled-to">Rolled to ${successor ? html`<span class="mono">${successor.hint}</span>` : html`<span class="mono">${k.rolled_to}</span>`}</li>` : ''}
    ${k.rolled_from ? html`<li class="small" data-testid="rolled-from">Successor of ${predecessor ? html`<span class="mono">${predecessor.hint}</span>` : html`<span class="mono">${k.rolled_from}</span>`}</li>` : ''}
  </ul>`;
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
    ${view.rolledFrom?.expires_at
      ? html`<p class="help" data-testid="roll-notice">The old key <span class="mono">${view.rolledFrom.hint}</span> keeps working until ${time(view.rolledFrom.expires_at)}; switch your services to this one before then.</p>`
      : ''}
    <p class="help">Check it works: <code>curl -H "Authorization: Bearer $PIK_API_KEY" ${view.publicUrl}/api/v1/account</code></p>
  </section>`;
}

function keyRows(view: ApiKeysView, keys: readonly ApiKeyRow[]): Html {
  return html`${keys.map(
    (k) => html`<tr data-key-id="${k.id}">
      <th scope="row"><span class="key-name">${k.name}</span>${k.exposed_at ? html` <span class="badge badge-danger" title="Seen in a URL on ${k.exposed_at.toISOString()}">Exposed — rotate</span>` : ''}</th>
      <td class="mono">${k.hint}</td>
      <td>${restrictionCell(view, k)}</td>
      <td>${time(k.created_at)}<br><span class="muted small">by ${createdBy(k.created_by, view.creators)}</span></td>
      <td data-testid="last-used">${k.last_used_at ? html`${time(k.last_used_at)}<br><span class="muted small">from ${k.last_used_ip ?? 'unknown IP'}</span>` : html`<span class="muted">Never used</span>`}</td>
      <td class="actions">
        <a class="button button-small" href="/dashboard/settings/api-keys/${view.environment}/${k.id}/requests">Requests<span class="visually-hidden"> made with ${k.name}</span></a>
        ${k.rolled_to || (k.expires_at && k.expires_at.getTime() <= view.now.getTime()) ? '' : html`<a class="button button-small" href="/dashboard/settings/api-keys/${view.environment}/${k.id}/roll">Roll key…<span class="visually-hidden"> ${k.name}</span></a>`}
        <a class="button button-small" href="/dashboard/settings/api-keys/${view.environment}/${k.id}/allowlist">IP allowlist<span class="visually-hidden"> of ${k.name}</span></a>
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
              <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Restrictions</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
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
            ${permissionFields()}
            <div class="field">
              <label for="key-expiry">Expires</label>
              <select id="key-expiry" name="expires_in">${expiryChoices.map((c) => html`<option value="${c.value}">${c.label}</option>`)}</select>
            </div>
            <div class="field">
              <label for="key-allowed-ips">IP allowlist <span class="muted">(optional)</span></label>
              <textarea id="key-allowed-ips" name="allowed_ips" rows="3" maxlength="4000" aria-describedby="key-allowed-ips-help" placeholder="203.0.113.7&#10;198.51.100.0/24"></textarea>
              <p id="key-allowed-ips-help" class="help">One IPv4 or IPv6 address or CIDR range per line (up to ${maxAllowedIps}). Empty: any address.</p>
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
        <p class="help"><strong>Roll key…</strong> does it in one step: a successor with the same name, permissions and allowlist, and the old key expiring when you choose (now to 7 days).</p>
        <p class="help">Or by hand:</p>
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

/** Full access, or a grid of none / read / write per resource (write includes read). */
function permissionFields(): Html {
  return html`<fieldset class="field permission-fieldset">
    <legend>Permissions</legend>
    <label><input type="radio" name="access" value="full" checked> Full access — everything the platform may do</label>
    <label><input type="radio" name="access" value="restricted" data-testid="access-restricted"> Restricted — only what is chosen below</label>
    <table class="table table-quiet permission-grid" data-testid="permission-grid">
      <caption class="visually-hidden">Permissions of a restricted key</caption>
      <thead><tr><th scope="col">Resource</th><th scope="col">None</th><th scope="col">Read</th><th scope="col">Write</th></tr></thead>
      <tbody>${keyResources.map(
        (r) => html`<tr><th scope="row">${keyResourceCatalogue[r].label}<br><span class="muted small">${keyResourceCatalogue[r].covers}</span></th>
          ${(['none', 'read', 'write'] as const).map(
            (level) => html`<td><input type="radio" name="perm_${r}" value="${level}"${level === 'none' ? html` checked` : ''} aria-label="${keyResourceCatalogue[r].label}: ${level}"></td>`,
          )}</tr>`,
      )}</tbody>
    </table>
  </fieldset>`;
}

/** Production changes ask for the password again, like generating a production key. */
function passwordField(isProduction: boolean, purpose: string): Html {
  if (!isProduction) return html``;
  return html`<div class="field">
    <label for="confirm-password">Your password</label>
    <input id="confirm-password" name="password" type="password" required maxlength="256" autocomplete="current-password" aria-describedby="confirm-password-help">
    <p id="confirm-password-help" class="help">${purpose}</p>
  </div>`;
}

export function rollKeyView(ctx: PageContext, key: ApiKeyRow, error?: string): string {
  const env = key.environment;
  return page(
    { ...ctx, environment: env },
    'Roll API key',
    html`<header class="page-header"><p class="breadcrumb"><a href="/dashboard/settings/api-keys/${env}">API Keys · ${envLabel[env]}</a></p><h1>Roll API key</h1></header>
    ${alert('error', error)}
    <section class="card narrow" aria-labelledby="roll-title">
      <h2 id="roll-title">Roll “${key.name}” (<span class="mono">${key.hint}</span>)</h2>
      <p>PIK makes a successor with the same name, permissions and IP allowlist, shows its secret once, and sets this key to expire when you choose. Until then both keys work, so you can switch without downtime.</p>
      <form method="post" action="/dashboard/settings/api-keys/${env}/${key.id}/roll" class="form">
        <input type="hidden" name="csrf" value="${ctx.csrf}">
        <fieldset class="field"><legend>The old key stops working</legend>
          ${rollChoices.map((c, i) => html`<label><input type="radio" name="expires_in_seconds" value="${c.seconds}"${i === 2 ? html` checked` : ''}> ${c.label}</label>`)}
        </fieldset>
        ${passwordField(env === 'production', 'Rolling a production key makes a new production key; confirm it is you.')}
        <div class="button-row"><button type="submit" class="button button-primary">Roll key</button><a class="button" href="/dashboard/settings/api-keys/${env}">Cancel</a></div>
      </form>
    </section>`,
  );
}

export function allowlistView(ctx: PageContext, key: ApiKeyRow, options: { error?: string; notice?: string; value?: string } = {}): string {
  const env = key.environment;
  return page(
    { ...ctx, environment: env },
    'IP allowlist',
    html`<header class="page-header"><p class="breadcrumb"><a href="/dashboard/settings/api-keys/${env}">API Keys · ${envLabel[env]}</a></p><h1>IP allowlist</h1></header>
    ${alert('error', options.error)}
    ${alert('success', options.notice)}
    <section class="card narrow" aria-labelledby="allowlist-title">
      <h2 id="allowlist-title">Addresses allowed to use “${key.name}” (<span class="mono">${key.hint}</span>)</h2>
      <p>Requests from anywhere else get <code>403 IP_NOT_ALLOWED</code>. The address is the one PIK sees: behind a proxy, the one it forwards (PIK_TRUST_PROXY).</p>
      <p data-testid="allowlist-current">${key.allowed_ips ? html`Now: <span class="mono">${key.allowed_ips.join(', ')}</span>` : 'Now: any address.'}</p>
      <form method="post" action="/dashboard/settings/api-keys/${env}/${key.id}/allowlist" class="form">
        <input type="hidden" name="csrf" value="${ctx.csrf}">
        <div class="field">
          <label for="allowed-ips">Addresses and ranges</label>
          <textarea id="allowed-ips" name="allowed_ips" rows="8" maxlength="4000" aria-describedby="allowed-ips-help">${options.value ?? (key.allowed_ips ?? []).join('\n')}</textarea>
          <p id="allowed-ips-help" class="help">One IPv4 or IPv6 address or CIDR range per line, up to ${maxAllowedIps}. Leave empty to allow any address.</p>
        </div>
        ${passwordField(env === 'production', 'Changing who may use a production key needs your password.')}
        <div class="button-row"><button type="submit" class="button button-primary">Save allowlist</button><a class="button" href="/dashboard/settings/api-keys/${env}">Back to keys</a></div>
      </form>
    </section>`,
  );
}
