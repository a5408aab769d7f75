// The error reference, rendered from the error catalogue (src/lib/errors.ts): as markdown for docs/errors.md
// (scripts/errors-doc.ts writes it; test/errors-doc.test.ts fails when it is stale) and as the HTML page the server
// answers at /docs/errors, where every error body's `doc_url` points. One text, two renderings, never out of step.
import type { FastifyInstance } from 'fastify';
import { errorCodes, errorDocUrl, errorEntry, type ErrorCode } from '../lib/errors.ts';

const intro =
  'Every error the API answers has the same shape — `{"error": {"code", "message", "detail"?, "request_id", "doc_url"}}` — ' +
  'and a stable `code` from this catalogue. Branch on `code` (and the HTTP status), never on `message`, which may be ' +
  'reworded. `detail` holds facts about this failure: `detail.field` names the input at fault. `doc_url` is this ' +
  "page's entry for the code, as a path on the server that answered (`/docs/errors#<code in lower case>`), so it is " +
  'right behind any host name; the same entry is in docs/errors.md in the repository.';

/** The anchor of a code, in docs/errors.md (GitHub's heading anchor) and on /docs/errors alike. */
export function anchorOf(code: ErrorCode): string {
  return errorDocUrl(code).slice(errorDocUrl(code).indexOf('#') + 1);
}

const byStatus = (): Map<number, ErrorCode[]> => {
  const groups = new Map<number, ErrorCode[]>();
  for (const code of errorCodes) {
    const status = errorEntry(code).status;
    groups.set(status, [...(groups.get(status) ?? []), code]);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => a - b));
};

export function renderErrorsMarkdown(): string {
  const lines = [
    '<!-- Written by scripts/errors-doc.ts from src/lib/errors.ts; edit the catalogue, then run `npx tsx scripts/errors-doc.ts --write`. -->',
    '# Error codes',
    '',
    intro,
    '',
    '| code | status |',
    '|---|---|',
    ...errorCodes.map((code) => `| [\`${code}\`](#${anchorOf(code)}) | ${errorEntry(code).status} |`),
  ];
  for (const [status, codes] of byStatus()) {
    lines.push('', `## ${status}`);
    for (const code of codes) {
      const { message, remedy } = errorEntry(code);
      lines.push('', `### ${code}`, '', `**Status ${status}.** ${message}`, '', `**What to do:** ${remedy}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Inline `code` spans of the catalogue's text, as HTML. */
const inline = (text: string): string => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

export function renderErrorsHtml(): string {
  const sections = [...byStatus()].map(
    ([status, codes]) =>
      `<h2>${status}</h2>\n` +
      codes
        .map((code) => {
          const { message, remedy } = errorEntry(code);
          return `<section id="${anchorOf(code)}"><h3><a href="#${anchorOf(code)}">${code}</a></h3><p><strong>Status ${status}.</strong> ${inline(message)}</p><p><strong>What to do:</strong> ${inline(remedy)}</p></section>`;
        })
        .join('\n'),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>PIK error codes</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;color:#1b1b1f}code{background:#f1f1f4;padding:0 .2em;border-radius:3px}section:target{background:#fff7d6}h3{margin-bottom:.2rem}h3 a{color:inherit}</style>
</head><body>
<p><a href="/docs">API reference</a></p>
<h1>Error codes</h1>
<p>${inline(intro)}</p>
${sections.join('\n')}
</body></html>
`;
}

/** GET /docs/errors: the page every `doc_url` points into. */
export function serveErrorReference(app: FastifyInstance): void {
  const html = renderErrorsHtml();
  app.get('/docs/errors', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'").send(html),
  );
}
