// Writes the two OpenAPI documents as the server generates them — the public one (/api/v1/openapi.json) and the
// operator's (/admin/v1/openapi.json) — from an app built in process on a throwaway embedded database, for the linter
// (npm run lint:openapi) and for tools that read the documents from files:
//   npx tsx scripts/openapi-document.ts [output directory, default .openapi]
import fs from 'node:fs';
import path from 'node:path';
import { startTestApp } from '../test/support/context.ts';

const directory = path.resolve(process.argv[2] ?? '.openapi');
delete process.env.DATABASE_URL; // always the embedded database: the documents do not depend on the engine
const ctx = await startTestApp();
try {
  fs.mkdirSync(directory, { recursive: true });
  const documents = { 'public.json': ctx.app.swagger(), 'operator.json': ctx.app.operatorSwagger() };
  for (const [name, document] of Object.entries(documents)) {
    fs.writeFileSync(path.join(directory, name), `${JSON.stringify(document, null, 2)}\n`);
    console.log(`wrote ${path.join(directory, name)}`);
  }
} finally {
  await ctx.close();
}
