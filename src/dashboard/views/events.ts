// Developers › Events › Production / Sandbox: the event log with a type filter, and one event — its payload as a
// receiver gets it, and its deliveries to each endpoint.
import type { Environment } from '../../lib/environments.ts';
import type { EventRow } from '../../db/schema.ts';
import type { EventDelivery } from '../../domain/dashboard/webhooks-view.ts';
import { eventTypes } from '../../domain/event-types.ts';
import { copyableId, html, time } from '../html.ts';
import { alert, environmentTabs, page, type PageContext } from './layout.ts';
import { deliveryBlock, endpointsBase, envLabel, resendButton } from './webhooks.ts';

export function eventsBase(environment: Environment): string {
  return `/dashboard/developers/events/${environment}`;
}

export interface EventsListView {
  environment: Environment;
  served: readonly Environment[];
  type: string | undefined;
  events: readonly EventRow[];
  nextCursor: string | null;
  isFirstPage: boolean;
}

export function eventsListView(ctx: PageContext, view: EventsListView): string {
  const env = view.environment;
  const base = eventsBase(env);
  const typeQuery: Record<string, string> = view.type ? { type: view.type } : {};
  const newest = view.type ? `${base}?${new URLSearchParams(typeQuery).toString()}` : base;
  const older = view.nextCursor ? `${base}?${new URLSearchParams({ ...typeQuery, cursor: view.nextCursor }).toString()}` : null;
  return page(
    { ...ctx, environment: env },
    `Events · ${envLabel[env]}`,
    html`<header class="page-header"><p class="breadcrumb">Developers</p><h1>Events</h1>
      <p class="muted">Everything that happened on your platform, newest first, as <code>GET /api/v1/events</code> lists it. Endpoints that receive them are under <a href="${endpointsBase(env)}">Settings › Webhooks</a>.</p></header>
    ${environmentTabs('/dashboard/developers/events', env, view.served)}
    <section class="card">
      <form method="get" action="${base}" class="form form-inline filter-form" role="search">
        <div class="field field-fixed">
          <label for="type">Event type</label>
          <select id="type" name="type">
            <option value="">All types</option>
            ${eventTypes.map((t) => html`<option value="${t}"${t === view.type ? html` selected` : ''}>${t}</option>`)}
          </select>
        </div>
        <div class="field field-button"><button type="submit" class="button">Filter</button></div>
        ${view.type ? html`<div class="field field-button"><a class="button button-quiet" href="${base}">Clear</a></div>` : ''}
      </form>
      ${view.events.length === 0
        ? html`<p class="empty">${view.type ? `No ${view.type} events${view.isFirstPage ? ' yet' : ' older than these'}.` : view.isFirstPage ? `No ${envLabel[env].toLowerCase()} events yet.` : 'No older events.'}</p>`
        : html`<div class="table-wrap"><table class="table" data-testid="events-table">
          <caption class="visually-hidden">${envLabel[env]} events, newest first</caption>
          <thead><tr><th scope="col">Event</th><th scope="col">Type</th><th scope="col">Account</th><th scope="col">Created</th></tr></thead>
          <tbody>${view.events.map(
            (e) => html`<tr data-event-id="${e.id}">
              <th scope="row"><a class="mono" href="${base}/${e.id}">${e.id}</a></th>
              <td class="mono">${e.type}</td>
              <td class="mono">${e.account_id === ctx.user.platformId ? html`<span title="${e.account_id}">your platform</span>` : copyableId(e.account_id)}</td>
              <td>${time(e.created_at)}</td>
            </tr>`,
          )}</tbody>
        </table></div>`}
      ${!view.isFirstPage || older
        ? html`<p class="button-row">${!view.isFirstPage ? html`<a class="button" href="${newest}">Newest events</a>` : ''}${older ? html`<a class="button" href="${older}">Older events →</a>` : ''}</p>`
        : ''}
    </section>`,
  );
}

export interface EventPageView {
  environment: Environment;
  event: EventRow;
  /** The body a receiver gets, pretty-printed. */
  payload: string;
  deliveries: readonly EventDelivery[];
  error?: string | undefined;
  notice?: string | undefined;
}

export function eventPageView(ctx: PageContext, view: EventPageView): string {
  const env = view.environment;
  const e = view.event;
  const action = `${eventsBase(env)}/${e.id}/resend`;
  return page(
    { ...ctx, environment: env },
    `${e.type} · Events`,
    html`<header class="page-header"><p class="breadcrumb"><a href="${eventsBase(env)}">Events · ${envLabel[env]}</a></p>
      <h1 class="mono">${e.type}</h1><p class="mono muted">${e.id}</p></header>
    ${alert('error', view.error)}
    ${alert('success', view.notice)}
    <section class="card" aria-labelledby="details-title"><h2 id="details-title">Details</h2>
      <dl class="details">
        <dt>Type</dt><dd class="mono">${e.type}</dd>
        <dt>Account</dt><dd class="mono">${e.account_id === ctx.user.platformId ? html`${e.account_id} <span class="muted">(your platform)</span>` : html`<a href="/dashboard/accounts/${env}/${e.account_id}">${e.account_id}</a>`}</dd>
        <dt>Created</dt><dd>${time(e.created_at)}</dd>
        <dt>Sent to endpoints</dt><dd>${e.dispatched_at ? time(e.dispatched_at) : html`<span class="muted">not yet — the delivery worker picks it up within moments</span>`}</dd>
      </dl>
    </section>
    <section class="card" aria-labelledby="payload-title">
      <div class="card-header"><h2 id="payload-title">Payload</h2><p class="muted small">The JSON body every endpoint receives (sent compact; shown indented).</p></div>
      <pre class="payload" data-testid="event-payload" tabindex="0"><code>${view.payload}</code></pre>
    </section>
    <section class="card" aria-labelledby="deliveries-title">
      <div class="card-header"><h2 id="deliveries-title">Deliveries</h2>
        ${e.dispatched_at
          ? html`<form method="post" action="${action}" class="inline-form">
            <input type="hidden" name="csrf" value="${ctx.csrf}">
            <button type="submit" class="button button-small">${e.endpoint_id ? 'Resend to its endpoint' : 'Resend to every subscribed endpoint'}</button>
          </form>`
          : ''}
      </div>
      ${view.deliveries.length === 0
        ? html`<p class="empty">${e.dispatched_at ? 'No endpoint was subscribed to this type when it happened.' : 'Not sent to any endpoint yet.'}</p>`
        : view.deliveries.map((d) =>
            deliveryBlock(
              d,
              d.endpoint.isDeleted
                ? html`<span class="mono path">${d.endpoint.url}</span> <span class="badge badge-neutral">Deleted endpoint</span>`
                : html`<a class="mono path" href="${endpointsBase(env)}/${d.endpoint.id}">${d.endpoint.url}</a>${d.endpoint.status === 'disabled' ? html` <span class="badge badge-neutral">Disabled</span>` : ''}`,
              d.endpoint.isDeleted || d.endpoint.status !== 'enabled' ? undefined : resendButton(action, ctx.csrf, { endpoint_id: d.endpoint.id }, d, `to ${d.endpoint.url}`),
            ),
          )}
    </section>`,
  );
}
