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
  return html`<time datetime="${value.toISOString()}">${formatTime(value)}</time>`;
}
