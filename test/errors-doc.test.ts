// docs/errors.md is the error catalogue as it is: exactly what scripts/errors-doc.ts writes from src/lib/errors.ts, so a
// code added or reworded there fails here until the page is rewritten (`npx tsx scripts/errors-doc.ts --write`); and
// every error body's doc_url points at the code's entry, on the server's /docs/errors page and in the markdown.
// pik-test: engine-independent — reads files and renders text; opens no database
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { errorsDocPath } from '../scripts/errors-doc.ts';
import { anchorOf, renderErrorsHtml, renderErrorsMarkdown } from '../src/http/error-reference.ts';
import { errorCodes, errorDocUrl, errorEntry } from '../src/lib/errors.ts';

describe('the error reference', () => {
  it('docs/errors.md is what scripts/errors-doc.ts writes from the catalogue', () => {
    assert.equal(fs.readFileSync(errorsDocPath, 'utf8'), renderErrorsMarkdown(), 'docs/errors.md is behind src/lib/errors.ts: run `npx tsx scripts/errors-doc.ts --write`');
  });

  it('has one entry per code, with its status, message and what to do, at the anchor doc_url names', () => {
    const markdown = renderErrorsMarkdown();
    const html = renderErrorsHtml();
    const headings = [...markdown.matchAll(/^### (\w+)$/gm)].map((m) => m[1]);
    assert.deepEqual([...headings].sort(), [...errorCodes].sort());
    for (const code of errorCodes) {
      const { status, remedy } = errorEntry(code);
      assert.ok(remedy.length > 10, `${code} has no remedy`);
      // GitHub's anchor of "### CODE" is the code in lower case; the page uses the same id.
      assert.equal(errorDocUrl(code), `/docs/errors#${anchorOf(code)}`);
      assert.equal(anchorOf(code), code.toLowerCase());
      const entry = markdown.slice(markdown.indexOf(`### ${code}\n`)).split('\n### ')[0] ?? '';
      assert.match(entry, new RegExp(`\\*\\*Status ${status}\\.\\*\\*`), code);
      assert.ok(entry.includes(remedy), code);
      assert.ok(html.includes(`<section id="${anchorOf(code)}">`), code);
    }
  });
});
