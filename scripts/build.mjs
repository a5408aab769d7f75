#!/usr/bin/env node
// The compiled build that `npm start` and `npm run pik` run, made by `npm install` (npm's `prepare`) or `npm run build`:
//
// - dist/app/main.cjs and dist/app/pik.cjs: src/main.ts and src/cli/pik.ts bundled by esbuild with the packages they
//   use, each one CommonJS script that scripts/code-cache.mjs runs with a V8 code cache beside it;
// - dist/app/migrations/ and the template's builder, ES modules (migrate() imports each migration by its file name),
//   and the static files of the dashboard and the payment page (dist/app/public/);
// - dist/app/pglite-template/: an embedded database already initialised and migrated, which a first start copies
//   instead of running initdb and every migration (src/db/pglite-template.ts);
// - packages/sdk/dist/index.js: the SDK (scripts/build-sdk.mjs);
// - dist/main.js and dist/pik.js: two small launchers that first rebuild what is older than the sources (a `git pull`
//   without `npm install` still runs the code pulled), then run the bundle.
//
// `node scripts/build.mjs` builds; buildIfStale() (the launchers) rebuilds only what changed, and costs a few
// milliseconds when nothing did.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { newestMtimeUnder } from './newest-mtime.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const out = path.join(dist, 'app');
// The newest source's mtime when the bundle was made; the template; the key of the sources it was made from.
const [stampFile, templateDir, templateKeyFile] = ['.sources-mtime', 'pglite-template', 'pglite-template.key'].map((name) => path.join(out, name));

/** The files the bundle is made of, besides src/: what changes it when they change. */
const buildInputs = ['package.json', 'package-lock.json', 'scripts/build.mjs'];
/** What decides the template's schema (as test/support/pglite-template.ts keys its own). */
const templateInputs = ['src/db/pglite-template.ts', 'src/db/migrate.ts', 'src/db/catalogue-checks.ts', 'src/lib/currencies.ts', 'src/lib/environments.ts'];

function newestSourceMtime() {
  let newest = newestMtimeUnder(path.join(root, 'src'));
  for (const file of buildInputs) newest = Math.max(newest, fs.statSync(path.join(root, file)).mtimeMs);
  return newest;
}

function templateKey() {
  const hash = createHash('sha256');
  const migrations = path.join(root, 'src/db/migrations');
  for (const file of fs.readdirSync(migrations).sort()) hash.update(file).update(fs.readFileSync(path.join(migrations, file)));
  for (const file of templateInputs) hash.update(fs.readFileSync(path.join(root, file)));
  return hash.digest('hex');
}

/**
 * An esbuild plugin: @fastify/cookie loads `cookie` with `await import('cookie')`. Split into a chunk of its own, that
 * CommonJS module (cookie 1.1, see the overrides in package.json) would come back with only a default export, and
 * every Set-Cookie would fail; a plain require() gives its functions, as node itself would.
 */
const cookieByRequire = {
  name: 'fastify-cookie-require',
  setup(build) {
    build.onLoad({ filter: /[\\/]@fastify[\\/]cookie[\\/]index\.js$/ }, (args) => {
      const source = fs.readFileSync(args.path, 'utf8');
      if (!source.includes("await import('cookie')")) throw new Error(`${args.path} no longer loads cookie with import(): check scripts/build.mjs`);
      return { contents: source.replace("await import('cookie')", "require('cookie')"), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

/**
 * An esbuild plugin: pg asks at load whether it runs in a Cloudflare Worker, and on Node 20 (no `navigator`) the
 * question constructs a `Response`, which loads node's own copy of undici (some 30 ms of every start and CLI call).
 * This build runs on Node only: the answer is no.
 */
const pgOnNode = {
  name: 'pg-on-node',
  setup(build) {
    build.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, (args) => {
      const source = fs.readFileSync(args.path, 'utf8');
      const question = 'if (isCloudflareRuntime()) {';
      if (!source.includes(question)) throw new Error(`${args.path} no longer asks isCloudflareRuntime(): check scripts/build.mjs`);
      return { contents: source.replace(question, 'if (false) {'), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

async function bundle() {
  const { build } = await import('esbuild');
  const sourcesMtime = newestSourceMtime();
  const migrations = fs.readdirSync(path.join(root, 'src/db/migrations')).filter((name) => /^\d{4}_[a-z0-9_]+\.ts$/.test(name));
  // Everything but the template goes: chunks are named by their hash, and old ones would pile up.
  if (fs.existsSync(out)) {
    for (const entry of fs.readdirSync(out)) if (entry !== 'pglite-template' && entry !== 'pglite-template.key') fs.rmSync(path.join(out, entry), { recursive: true, force: true });
  }
  // The packages are bundled too: node then parses a few files instead of resolving and loading some 900 modules
  // (kysely, fastify, typebox, ajv…), most of a start's time otherwise. These stay outside: PGlite reads
  // files of its own package next to its code, argon2 is a native addon, pg-native an optional addon pg never needs,
  // and the API reference's renderer (/docs) is one 4 MB module holding its browser script as a string: left as it is.
  const common = {
    absWorkingDir: root,
    outdir: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: ['@electric-sql/pglite', '@electric-sql/pglite/*', '@node-rs/argon2', 'pg-native', '@scalar/fastify-api-reference'],
    plugins: [cookieByRequire, pgOnNode],
    logLevel: 'warning',
  };
  // The server and the CLI: each one CommonJS file (no chunks), so that V8 can keep a code cache of it.
  await build({
    ...common,
    entryPoints: [
      { in: 'src/main.ts', out: 'main' },
      { in: 'src/cli/pik.ts', out: 'pik' },
    ],
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    // Modules find their files (migrations/, public/, pglite-template/) relative to import.meta.url: here, the bundle's.
    define: { 'import.meta.url': '__pikModuleUrl', 'import.meta.resolve': '__pikResolve' },
    banner: {
      js: "const __pikModuleUrl = require('node:url').pathToFileURL(__filename).href; const __pikResolve = (specifier) => require('node:url').pathToFileURL(require.resolve(specifier)).href;",
    },
  });
  // What migrate() and the template's builder load: ES modules sharing their chunks.
  await build({
    ...common,
    entryPoints: [
      { in: 'src/db/pglite-template.ts', out: 'pglite-template' },
      ...migrations.map((name) => ({ in: `src/db/migrations/${name}`, out: `migrations/${name.slice(0, -'.ts'.length)}` })),
    ],
    splitting: true,
    // Chunks sit next to main.cjs: modules that find files relative to themselves (migrations/, public/,
    // pglite-template/) then find them wherever esbuild puts them.
    chunkNames: '[name]-[hash]',
    format: 'esm',
    // CommonJS packages in an ES module bundle still call require() for node's built-ins.
    banner: { js: "import { createRequire as __pikCreateRequire } from 'node:module'; const require = __pikCreateRequire(import.meta.url);" },
  });
  fs.cpSync(path.join(root, 'src/dashboard/public'), path.join(out, 'public'), { recursive: true });
  // The hosted payment page's files (pay.css, pay.js) sit beside the dashboard's: its module finds them in ./public too.
  fs.cpSync(path.join(root, 'src/dashboard/pay/public'), path.join(out, 'public'), { recursive: true });
  for (const entry of ['main', 'pik']) {
    fs.writeFileSync(
      path.join(dist, `${entry}.js`),
      `// Made by scripts/build.mjs: rebuilds what is older than the sources, then runs the bundle.\n` +
        `import { buildIfStale } from '../scripts/build.mjs';\nimport { runWithCodeCache } from '../scripts/code-cache.mjs';\n` +
        `await buildIfStale();\nrunWithCodeCache(new URL('./app/${entry}.cjs', import.meta.url));\n`,
    );
  }
  fs.writeFileSync(stampFile, String(sourcesMtime));
}

async function template() {
  const key = templateKey();
  const { buildPgliteTemplate } = await import(pathToFileURL(path.join(out, 'pglite-template.js')).href);
  await buildPgliteTemplate(templateDir);
  fs.writeFileSync(templateKeyFile, key);
}

const templateIsCurrent = () => fs.existsSync(templateKeyFile) && fs.readFileSync(templateKeyFile, 'utf8') === templateKey();

/** Builds the bundle, and the template when the migrations changed since it was made. */
export async function buildAll() {
  const started = Date.now();
  await bundle();
  if (!templateIsCurrent()) await template();
  return (Date.now() - started) / 1000;
}

/** What the launchers run: nothing when the build is current; without the sources (or esbuild), nothing either. */
export async function buildIfStale() {
  if (!fs.existsSync(path.join(root, 'src'))) return;
  const built = fs.existsSync(stampFile) ? Number(fs.readFileSync(stampFile, 'utf8')) : 0;
  if (newestSourceMtime() <= built) return;
  process.stderr.write('pik: the sources changed since the last build; compiling them (npm run build)…\n');
  try {
    const seconds = await buildAll();
    process.stderr.write(`pik: compiled in ${seconds.toFixed(1)} s\n`);
  } catch (error) {
    process.stderr.write(`pik: could not compile (${error instanceof Error ? error.message : String(error)}); running the previous build\n`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const seconds = await buildAll();
  process.stdout.write(`pik: compiled to dist/ in ${seconds.toFixed(1)} s\n`);
  // The SDK workspace package (packages/sdk), so that `import { Pik } from '@pik/sdk'` works after `npm install`.
  const { buildSdk } = await import('./build-sdk.mjs');
  await buildSdk();
}
