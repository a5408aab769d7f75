#!/usr/bin/env node
// Builds the SDK (packages/sdk) to packages/sdk/dist/index.js: one ES module, no dependencies, for Node ≥ 20 and any
// runtime with fetch. Run by the root build (npm's `prepare`, so `npm install` makes it) in a few tens of
// milliseconds; its types are its TypeScript source (package.json "exports" → "types": "./src/index.ts").
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestMtimeUnder } from './newest-mtime.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sdk = path.join(root, 'packages/sdk');
const output = path.join(sdk, 'dist/index.js');

export async function buildSdk() {
  const { build } = await import('esbuild');
  await build({
    absWorkingDir: sdk,
    entryPoints: ['src/index.ts'],
    outfile: output,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    logLevel: 'warning',
    legalComments: 'none',
  });
}

/** Rebuilds when a source is newer than the build (the examples' test runs what a user of the package would). */
export async function buildSdkIfStale() {
  if (fs.existsSync(output) && fs.statSync(output).mtimeMs >= newestMtimeUnder(path.join(sdk, 'src'))) return;
  await buildSdk();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildSdk();
  process.stdout.write(`pik: built the SDK to ${path.relative(root, output)}\n`);
}
