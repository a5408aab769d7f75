// Runs several test files in one node:test process, for scripts/run-tests.mjs: each file is imported in turn, so its
// tests, suites and hooks register as they would alone. A marker test before each file tells the runner which events
// are whose (root tests run one at a time, in the order they were registered).
//
// Used only for files that share nothing with their neighbours but the loaded modules: no child processes, no writes
// to process.env, no mocks (run-tests.mjs decides). What a file costs before its first test — loading the compiled
// sources, Fastify, PGlite's WebAssembly — is then paid once per group instead of once per file. A group with any
// failure is run again file by file, and those runs are the ones reported.
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { groupFileMarker } from './test-events-reporter.mjs';

for (const file of process.argv.slice(2)) {
  test(`${groupFileMarker}${file}`, () => undefined);
  await import(pathToFileURL(path.resolve(file)).href);
}
