// HTML by tagged template: every interpolated value is escaped unless it is already Html, so no view can inject markup.
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | bigint | boolean | null | undefined | readonly Part[];

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => escapes[c] ?? c);
}

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

export function formatTime(value: Date | null | undefined): string {
  if (!value) return '';
  return value.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

/** A <time> element: exact UTC in the text, machine-readable in the attribute. */
export function time(value: Date | null | undefined, fallback = '—'): Html {
  if (!value) return html`<span class="muted">${fallback}</span>`;
  // Date and time each stay whole; in a narrow column the time goes under the date (two lines, never four).
  const [day, clock] = [formatTime(value).slice(0, 10), formatTime(value).slice(11)];
  return html`<time datetime="${value.toISOString()}"><span class="nowrap">${day}</span> <span class="nowrap">${clock}</span></time>`;
}

/**
 * A long id (acct_…, req_…, txn_…) where space is short, as in tables: its prefix and last characters with an ellipsis
 * between (ids made close together share their first characters), the whole id in the tooltip and for screen readers,
 * and a Copy button that copies the whole id (app.js).
 */
export function copyableId(id: string): Html {
  const cut = id.indexOf('_') + 5;
  const short = id.length > cut + 9 ? `${id.slice(0, cut)}…${id.slice(-6)}` : id;
  return html`<span class="id-copy"><code class="id-text" title="${id}"><span aria-hidden="true">${short}</span><span class="visually-hidden">${id}</span></code><button type="button" class="button button-small copy-id" data-copy-text="${id}" aria-label="Put ${id} on the clipboard">Copy</button></span>`;
}
