// docs/errors.md, written from the error catalogue (src/lib/errors.ts) so the page cannot drift from the codes the
// server answers with (test/errors-doc.test.ts compares the two):
//   npx tsx scripts/errors-doc.ts           prints the page
//   npx tsx scripts/errors-doc.ts --write   writes docs/errors.md
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderErrorsMarkdown } from '../src/http/error-reference.ts';

export const errorsDocPath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/errors.md');

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  if (process.argv.includes('--write')) fs.writeFileSync(errorsDocPath, renderErrorsMarkdown());
  else process.stdout.write(renderErrorsMarkdown());
}
