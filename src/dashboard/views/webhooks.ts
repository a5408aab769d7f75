// Settings › Webhooks › Production / Sandbox: the endpoints with their last result, adding one (secret shown once),
// and one endpoint's page — settings, deliveries with every attempt, and the actions on it.
import type { Environment } from '../../lib/environments.ts';
import type { WebhookAttemptRow, WebhookDeliveryStatus, WebhookEndpointRow } from '../../db/schema.ts';
import type { LastResult } from '../../domain/dashboard/webhooks-view.ts';
import { eventCatalogue, eventTypes } from '../../domain/event-types.ts';
import type { DeliveryWithAttempts } from '../../domain/webhooks/event-log.ts';
import { copyableId, html, time, type Html } from '../html.ts';
import { alert, environmentTabs, page, type PageContext } from './layout.ts';

export const envLabel: Record<Environment, string> = { production: 'Production', sandbox: 'Sandbox' };

/** webhook.test goes to the one endpoint it is sent to, never by subscription (subscribesTo): not a choice to offer. */
export const subscribableTypes = eventTypes.filter((t) => t !== 'webhook.test');

/** The overlaps offered by "Rotate secret", in seconds: the old secret keeps signing alongside the new one this long. */
export const rotationOverlaps = [
  { seconds: 0, label: 'Now (stop signing with the old secret at once)' },
  { seconds: 3600, label: 'In 1 hour' },
  { seconds: 86_400, label: 'In 24 hours' },
] as const;

export interface EndpointFormValues {
  url: string;
  description: string;
  /** ["*"] or type names. */
  events: readonly string[];
}

export function endpointsBase(environment: Environment): string {
  return `/dashboard/settings/webhooks/${environment}`;
}

/** "5 days", "2 hours": how long the auto-disable waits, from PIK_WEBHOOK_DISABLE_AFTER. */
export function describeDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${name}${ms / size === 1 ? '' : 's'}`;
  }
  return `${ms} ms`;
}

export function failingNotice(disableAfterMs: number): string {
  return `PIK disabled this endpoint after every delivery failed for ${describeDuration(disableAfterMs)}; fix the receiver, enable it, then resend the undelivered events.`;
}

export function eventsLabel(events: readonly string[]): Html {
  if (events.includes('*')) return html`<span class="badge badge-neutral">All events</span>`;
  return html`<ul class="event-list">${events.map((e) => html`<li class="mono">${e}</li>`)}</ul>`;
}

export function endpointStatusBadge(endpoint: Pick<WebhookEndpointRow, 'status' | 'disabled_reason'>): Html {
  if (endpoint.status === 'enabled') return html`<span class="badge badge-success">Enabled</span>`;
  return endpoint.disabled_reason === 'failing'
    ? html`<span class="badge badge-danger">Disabled — failing</span>`
    : html`<span class="badge badge-neutral">Disabled</span>`;
}

export function deliveryStatusBadge(status: WebhookDeliveryStatus, attemptCount: number): Html {
  if (status === 'delivered') return html`<span class="badge badge-success">Delivered</span>`;
  if (status === 'undelivered') return html`<span class="badge badge-danger">Undelivered</span>`;
  return html`<span class="badge badge-warning">${attemptCount > 0 ? 'Retrying' : 'Pending'}</span>`;
}

export function statusCode(code: number | null, error: string | null): Html {
  if (code !== null) return html`<span class="status status-${Math.floor(code / 100)}xx">${code}</span>${error ? html` <span class="muted small">${error}</span>` : ''}`;
  return html`<span class="status status-5xx">${error ?? 'no answer'}</span>`;
}

function lastResultCell(result: LastResult | undefined): Html {
  if (!result) return html`<span class="muted">No deliveries yet</span>`;
  return html`${deliveryStatusBadge(result.status, result.lastAttemptAt ? 1 : 0)}
    ${result.lastAttemptAt ? html`<br>${statusCode(result.lastStatusCode, result.lastError)} · ${time(result.lastAttemptAt)}` : html`<br><span class="muted small">queued ${time(result.createdAt)}</span>`}`;
}

/** The new or rotated secret, in the one response that shows it. */
function secretPanel(title: string, secret: string, note: Html): Html {
  return html`<section class="secret-panel" aria-labelledby="new-secret-title" tabindex="-1" id="new-secret">
    <h2 id="new-secret-title">${title}</h2>
    <p class="secret-warning"><strong>Copy this signing secret now. It will not be shown again.</strong> ${note}</p>
    <div class="secret-row">
      <label for="new-webhook-secret" class="visually-hidden">The signing secret</label>
      <input id="new-webhook-secret" class="mono secret-value" type="text" readonly value="${secret}" autocomplete="off" spellcheck="false" data-testid="new-webhook-secret">
      <button type="button" class="button" data-copy-target="new-webhook-secret">Copy</button>
    </div>
    <p class="copy-status" role="status" aria-live="polite" data-copy-status></p>
    <p class="help">Verify every delivery with it: the <code>webhook-signature</code> header (Standard Webhooks) or <code>PIK-Signature-V2</code>; docs/webhooks.md has the code.</p>
  </section>`;
}

/** URL, description and event checkboxes; the repeated-field rule of the form parser is why each type has its own name. */
export function endpointFields(values: EndpointFormValues, idPrefix: string, environment: Environment): Html {
  const isAll = values.events.includes('*');
  return html`<div class="field">
      <label for="${idPrefix}-url">Endpoint URL</label>
      <input id="${idPrefix}-url" name="url" type="text" inputmode="url" required maxlength="2048" value="${values.url}" placeholder="https://example.com/webhooks/pik" aria-describedby="${idPrefix}-url-help" spellcheck="false">
      <p id="${idPrefix}-url-help" class="help">${environment === 'production'
        ? 'https, on a public address. PIK posts each event here as JSON, signed.'
        : 'https on a public address (http://localhost only when the server allows sandbox loopback). PIK posts each event here as JSON, signed.'}</p>
    </div>
    <div class="field">
      <label for="${idPrefix}-description">Description <span class="muted small">(optional)</span></label>
      <input id="${idPrefix}-description" name="description" type="text" maxlength="500" value="${values.description}" placeholder="e.g. Order service, staging">
    </div>
    <fieldset class="field event-choices">
      <legend>Events to send</legend>
      <div class="choice choice-all">
        <input id="${idPrefix}-all" name="all_events" type="checkbox" value="on"${isAll ? html` checked` : ''}>
        <label for="${idPrefix}-all">All events <span class="muted small">— every type, including types PIK adds later; overrides the choices below</span></label>
      </div>
      ${subscribableTypes.map(
        (type) => html`<div class="choice">
          <input id="${idPrefix}-${type.replace(/[._]/g, '-')}" name="event:${type}" type="checkbox" value="on"${!isAll && values.events.includes(type) ? html` checked` : ''}>
          <label for="${idPrefix}-${type.replace(/[._]/g, '-')}"><span class="mono">${type}</span> <span class="muted small">— ${eventCatalogue[type].description}</span></label>
        </div>`,
      )}
      <p class="help">Test events (<code>webhook.test</code>) reach an endpoint whenever you send one, whatever it subscribes to.</p>
    </fieldset>`;
}

export interface EndpointsView {
  environment: Environment;
  served: readonly Environment[];
  endpoints: readonly WebhookEndpointRow[];
  lastResults: ReadonlyMap<string, LastResult>;
  disableAfterMs: number;
  maxEndpoints: number;
  /** One-time id of the add form, so a reload of the result page does not add a second endpoint. */
  formId: string;
  form?: EndpointFormValues | undefined;
  created?: { endpoint: WebhookEndpointRow; secret: string } | undefined;
  error?: string | undefined;
  notice?: string | undefined;
}

export function endpointsView(ctx: PageContext, view: EndpointsView): string {
  const env = view.environment;
  const base = endpointsBase(env);
  const failing = view.endpoints.filter((e) => e.disabled_reason === 'failing');
  const form = view.form ?? { url: '', description: '', events: ['*'] };
  return page(
    { ...ctx, environment: env },
    `Webhooks · ${envLabel[env]}`,
    html`<header class="page-header">
      <p class="breadcrumb">Settings</p>
      <h1>Webhooks</h1>
      <p class="muted">PIK posts every event of your platform to these URLs, signed, and retries until they answer 2xx. The event log is under <a href="/dashboard/developers/events/${env}">Developers › Events</a>.</p>
    </header>
    ${environmentTabs('/dashboard/settings/webhooks', env, view.served)}
    ${alert('error', view.error)}
    ${alert('success', view.notice)}
    ${failing.map((e) => alert('warning', html`<strong class="mono">${e.url}</strong>: ${failingNotice(view.disableAfterMs)} <a href="${base}/${e.id}">Open the endpoint</a>`))}
    ${view.created
      ? secretPanel(
          `Endpoint added: ${view.created.endpoint.url}`,
          view.created.secret,
          html`PIK keeps it sealed and uses it only to sign deliveries. If you lose it, rotate it on the <a href="${base}/${view.created.endpoint.id}">endpoint's page</a>.`,
        )
      : ''}
    <section class="card" aria-labelledby="endpoints-title">
      <div class="card-header">
        <h2 id="endpoints-title">${envLabel[env]} endpoints</h2>
        <p class="muted small">${view.endpoints.length} of ${view.maxEndpoints}</p>
      </div>
      ${view.endpoints.length === 0
        ? html`<p class="empty">No ${envLabel[env].toLowerCase()} endpoints yet. Add one below.</p>`
        : html`<div class="table-wrap"><table class="table" data-testid="endpoints-table">
          <caption class="visually-hidden">${envLabel[env]} webhook endpoints</caption>
          <thead><tr><th scope="col">Endpoint</th><th scope="col">Events</th><th scope="col">Status</th><th scope="col">Last result</th></tr></thead>
          <tbody>${view.endpoints.map(
            (e) => html`<tr data-endpoint-id="${e.id}">
              <th scope="row"><a class="mono path" href="${base}/${e.id}">${e.url}</a>${e.description ? html`<br><span class="muted small">${e.description}</span>` : ''}<br><span class="small">${copyableId(e.id)}</span></th>
              <td>${eventsLabel(e.events)}</td>
              <td>${endpointStatusBadge(e)}</td>
              <td data-testid="last-result">${lastResultCell(view.lastResults.get(e.id))}</td>
            </tr>`,
          )}</tbody>
        </table></div>`}
    </section>
    <section class="card" aria-labelledby="add-title">
      <h2 id="add-title">Add endpoint</h2>
      <form method="post" action="${base}" class="form">
        <input type="hidden" name="csrf" value="${ctx.csrf}">
        <input type="hidden" name="form_id" value="${view.formId}">
        ${endpointFields(form, 'add', env)}
        <div class="button-row"><button type="submit" class="button button-primary">Add ${envLabel[env].toLowerCase()} endpoint</button></div>
      </form>
    </section>`,
  );
}

function attemptsTable(attempts: readonly WebhookAttemptRow[]): Html {
  if (attempts.length === 0) return html`<p class="muted small">No attempt yet.</p>`;
  return html`<div class="table-wrap"><table class="table table-attempts">
    <thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Result</th><th scope="col" class="num">Latency</th><th scope="col">Next attempt</th><th scope="col">Response (first 1 KB)</th></tr></thead>
    <tbody>${attempts.map(
      (a) => html`<tr data-testid="attempt">
        <td>${a.number}</td>
        <td>${time(a.started_at)}</td>
        <td data-testid="attempt-status">${statusCode(a.status_code, a.error)}</td>
        <td class="num mono">${a.duration_ms} ms</td>
        <td>${a.next_attempt_at ? time(a.next_attempt_at) : html`<span class="muted">—</span>`}</td>
        <td>${a.response_body ? html`<pre class="response-body">${a.response_body}</pre>` : html`<span class="muted">—</span>`}</td>
      </tr>`,
    )}</tbody>
  </table></div>`;
}

/**
 * The form that queues a delivery again: "Resend" once it has ended, "Retry now" while it waits for a retry. A pending
 * delivery not yet attempted is on its way already, so it has none.
 */
export function resendButton(action: string, csrf: string, fields: Record<string, string>, d: Pick<DeliveryWithAttempts, 'status' | 'attempt_count'>, what: string): Html | undefined {
  if (d.status === 'pending' && d.attempt_count === 0) return undefined;
  return html`<form method="post" action="${action}" class="inline-form">
    <input type="hidden" name="csrf" value="${csrf}">
    ${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
    <button type="submit" class="button button-small">${d.status === 'pending' ? 'Retry now' : 'Resend'}<span class="visually-hidden"> ${what}</span></button>
  </form>`;
}

/** One delivery with its attempts; `resend` is the form that queues it again (absent when it cannot be resent). */
export function deliveryBlock(delivery: DeliveryWithAttempts, heading: Html, resend: Html | undefined): Html {
  return html`<article class="delivery" data-delivery-id="${delivery.id}" aria-label="Delivery ${delivery.id}">
    <div class="delivery-header">
      <div>${heading}</div>
      <div class="delivery-state">${deliveryStatusBadge(delivery.status, delivery.attempt_count)}
        <span class="muted small">${delivery.attempt_count} attempt${delivery.attempt_count === 1 ? '' : 's'}${delivery.next_attempt_at && delivery.status === 'pending' ? html` · next ${time(delivery.next_attempt_at)}` : ''}</span>
        ${resend ?? ''}
      </div>
    </div>
    <p class="muted small">Delivery <span class="mono">${delivery.id}</span> (the <code>webhook-id</code> of every attempt) · created ${time(delivery.created_at)}${delivery.delivered_at ? html` · delivered ${time(delivery.delivered_at)}` : ''}</p>
    ${attemptsTable(delivery.attempts)}
  </article>`;
}

export interface EndpointPageView {
  environment: Environment;
  endpoint: WebhookEndpointRow;
  deliveries: readonly DeliveryWithAttempts[];
  nextCursor: string | null;
  isFirstPage: boolean;
  disableAfterMs: number;
  /** The domain clock's now: whether the previous secret still signs. */
  now: Date;
  rotateFormId: string;
  rotated?: string | undefined;
  /** The edit form's values after a refused change, shown open. */
  form?: EndpointFormValues | undefined;
  error?: string | undefined;
  notice?: string | undefined;
}

export function endpointPageView(ctx: PageContext, view: EndpointPageView): string {
  const env = view.environment;
  const e = view.endpoint;
  const url = `${endpointsBase(env)}/${e.id}`;
  const isEnabled = e.status === 'enabled';
  const csrf = html`<input type="hidden" name="csrf" value="${ctx.csrf}">`;
  const rotation = e.previous_secret_expires_at && e.previous_secret_expires_at > view.now ? e.previous_secret_expires_at : null;
  const resendForm = (d: DeliveryWithAttempts) => (isEnabled ? resendButton(`${url}/resend`, ctx.csrf, { event_id: d.event_id }, d, `${d.event_type} ${d.event_id}`) : undefined);
  return page(
    { ...ctx, environment: env },
    `Webhook endpoint · ${envLabel[env]}`,
    html`<header class="page-header">
      <p class="breadcrumb"><a href="${endpointsBase(env)}">Webhooks · ${envLabel[env]}</a></p>
      <h1 class="mono path endpoint-title">${e.url}</h1>
      <p>${endpointStatusBadge(e)} <span class="mono muted small">${e.id}</span></p>
    </header>
    ${e.disabled_reason === 'failing' ? alert('warning', failingNotice(view.disableAfterMs)) : ''}
    ${alert('error', view.error)}
    ${alert('success', view.notice)}
    ${view.rotated
      ? secretPanel(
          'New signing secret',
          view.rotated,
          rotation ? html`The previous secret keeps signing alongside it until ${time(rotation)}: switch your receiver before then.` : html`The previous secret no longer signs deliveries.`,
        )
      : ''}
    <div class="grid-2">
      <section class="card" aria-labelledby="settings-title"><h2 id="settings-title">Settings</h2>
        <dl class="details">
          <dt>URL</dt><dd class="mono path">${e.url}</dd>
          <dt>Description</dt><dd>${e.description ?? html`<span class="muted">—</span>`}</dd>
          <dt>Events</dt><dd>${eventsLabel(e.events)}</dd>
          <dt>Status</dt><dd>${endpointStatusBadge(e)}${e.failing_since && isEnabled ? html`<br><span class="muted small">failing since ${time(e.failing_since)}</span>` : ''}</dd>
          <dt>Signing secret</dt><dd>Shown once, when added or rotated.${rotation ? html`<br><span class="muted small">The previous secret also signs until ${time(rotation)}.</span>` : ''}</dd>
          <dt>Added</dt><dd>${time(e.created_at)}</dd>
        </dl>
        <details class="edit"${view.form ? html` open` : ''}>
          <summary>Edit URL, description or events</summary>
          <form method="post" action="${url}" class="form">
            ${csrf}
            ${endpointFields(view.form ?? { url: e.url, description: e.description ?? '', events: e.events }, 'edit', env)}
            <div class="button-row"><button type="submit" class="button button-primary">Save changes</button></div>
          </form>
        </details>
      </section>
      <section class="card" aria-labelledby="actions-title"><h2 id="actions-title">Actions</h2>
        <form method="post" action="${url}/test" class="action">
          ${csrf}
          <button type="submit" class="button"${isEnabled ? '' : html` disabled`}>Send test event</button>
          <p class="help">${isEnabled ? html`Sends a <code>webhook.test</code> event to this endpoint only.` : 'Enable the endpoint to send a test event.'}</p>
        </form>
        <form method="post" action="${url}/rotate" class="action form">
          ${csrf}
          <input type="hidden" name="form_id" value="${view.rotateFormId}">
          <label for="rotate-overlap">Old secret stops signing</label>
          <div class="inline-row">
            <select id="rotate-overlap" name="expires_in_seconds">
              ${rotationOverlaps.map((o) => html`<option value="${o.seconds}"${o.seconds === 86_400 ? html` selected` : ''}>${o.label}</option>`)}
            </select>
            <button type="submit" class="button">Rotate secret</button>
          </div>
          <p class="help">Until then every delivery carries signatures from both secrets, so your receiver can switch without missing one.</p>
        </form>
        <form method="post" action="${url}/status" class="action">
          ${csrf}
          <input type="hidden" name="status" value="${isEnabled ? 'disabled' : 'enabled'}">
          <button type="submit" class="button">${isEnabled ? 'Disable endpoint' : 'Enable endpoint'}</button>
          <p class="help">${isEnabled
            ? 'Stops deliveries; the pending ones become undelivered, to resend once it is enabled again.'
            : 'Deliveries start again with new events; resend the undelivered ones below.'}</p>
        </form>
        <div class="action"><a class="button button-danger" href="${url}/delete">Delete endpoint</a></div>
      </section>
    </div>
    <section class="card" aria-labelledby="deliveries-title">
      <div class="card-header"><h2 id="deliveries-title">Deliveries</h2><p class="muted small">Newest first. Response bodies are the receiver's first 1 KB.</p></div>
      ${view.deliveries.length === 0
        ? html`<p class="empty">${view.isFirstPage ? 'No deliveries yet. Send a test event to see one.' : 'No older deliveries.'}</p>`
        : view.deliveries.map((d) =>
            deliveryBlock(d, html`<a class="mono" href="/dashboard/developers/events/${env}/${d.event_id}">${d.event_type}</a> <span class="mono muted small">${d.event_id}</span>`, resendForm(d)),
          )}
      ${!view.isFirstPage || view.nextCursor
        ? html`<p class="button-row">${!view.isFirstPage ? html`<a class="button" href="${url}">Newest deliveries</a>` : ''}${view.nextCursor ? html`<a class="button" href="${url}?${new URLSearchParams({ cursor: view.nextCursor }).toString()}">Older deliveries →</a>` : ''}</p>`
        : ''}
    </section>`,
  );
}

export function confirmDeleteEndpointView(ctx: PageContext, environment: Environment, endpoint: WebhookEndpointRow): string {
  const base = endpointsBase(environment);
  return page(
    { ...ctx, environment },
    'Delete webhook endpoint',
    html`<header class="page-header"><p class="breadcrumb"><a href="${base}/${endpoint.id}">Webhook endpoint · ${envLabel[environment]}</a></p><h1>Delete webhook endpoint</h1></header>
    <section class="card narrow danger-zone" aria-labelledby="confirm-title">
      <h2 id="confirm-title">Delete <span class="mono path">${endpoint.url}</span>?</h2>
      <p>PIK stops sending events to it at once; its pending deliveries end undelivered and its signing secrets are destroyed. This cannot be undone: to receive events there again, add it as a new endpoint.</p>
      <form method="post" action="${base}/${endpoint.id}/delete" class="button-row">
        <input type="hidden" name="csrf" value="${ctx.csrf}">
        <button type="submit" class="button button-danger">Delete endpoint</button>
        <a class="button" href="${base}/${endpoint.id}">Cancel</a>
      </form>
    </section>`,
  );
}
