// The request-log table, shared by the key and the account pages.
import type { RequestLogRow } from '../../domain/request-log/request-log.ts';
import { copyableId, html, time, type Html } from '../html.ts';

export function requestLogTable(rows: readonly RequestLogRow[], caption: string, empty: string): Html {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<div class="table-wrap"><table class="table">
    <caption class="visually-hidden">${caption}</caption>
    <thead><tr><th scope="col">Time</th><th scope="col">Method</th><th scope="col">Path</th><th scope="col">Status</th><th scope="col">x-on-behalf-of</th><th scope="col">Error code</th><th scope="col">Request id</th></tr></thead>
    <tbody>
      ${rows.map(
        (r) => html`<tr>
        <td>${time(r.created_at)}</td>
        <td class="mono">${r.method}</td>
        <td class="mono path">${r.path}</td>
        <td><span class="status status-${Math.floor(r.status / 100)}xx">${r.status}</span></td>
        <td>${r.on_behalf_of ? copyableId(r.on_behalf_of) : html`<span class="muted">—</span>`}</td>
        <td class="mono wrap-anywhere">${r.error_code ?? html`<span class="muted">—</span>`}</td>
        <td>${copyableId(r.id)}</td>
      </tr>`,
      )}
    </tbody>
  </table></div>`;
}
