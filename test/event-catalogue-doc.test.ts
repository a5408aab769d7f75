// docs/webhooks.md documents the event catalogue as it is: the section between its markers must be exactly what
// scripts/event-catalogue-doc.ts writes from src/domain/event-types.ts, so a type or field added there fails here
// until the guide is rewritten (`npx tsx scripts/event-catalogue-doc.ts --write`). Opens no database.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { catalogueSectionOf, guidePath, renderEventCatalogue } from '../scripts/event-catalogue-doc.ts';
import { eventCatalogue, eventTypes } from '../src/domain/event-types.ts';

describe('the event catalogue in docs/webhooks.md', () => {
  it('is what scripts/event-catalogue-doc.ts writes from the catalogue', () => {
    const section = catalogueSectionOf(fs.readFileSync(guidePath, 'utf8'));
    assert.ok(section !== undefined, 'docs/webhooks.md lost its <!-- event-catalogue:start --> … <!-- event-catalogue:end --> markers');
    assert.equal(section, renderEventCatalogue(), 'docs/webhooks.md is behind src/domain/event-types.ts: run `npx tsx scripts/event-catalogue-doc.ts --write`');
  });

  it('has a section for every type, with its description and a row for each data field', () => {
    const rendered = renderEventCatalogue();
    const sections = rendered.split(/^### /m).slice(1);
    assert.deepEqual(
      sections.map((s) => s.slice(0, s.indexOf('\n'))),
      eventTypes.map((type) => `\`${type}\``),
    );
    for (const [i, type] of eventTypes.entries()) {
      const section = sections[i] ?? '';
      assert.ok(section.includes(`\n${eventCatalogue[type].description}\n`), type);
      const fields = [...section.matchAll(/^\| `([\w.]+)` \|/gm)].map((m) => m[1]);
      assert.deepEqual(fields, Object.keys(eventCatalogue[type].data.properties), type);
    }
  });
});
