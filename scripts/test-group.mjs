// Runs several test files in one node:test process, for scripts/run-tests.mjs. Each file is imported inside a suite of
// its own, named after it: its top-level tests, suites and hooks (before/after) belong to that suite, so they run when
// the file's turn comes, one file after the other, and a failing hook fails that file only. The events reporter turns
// the suite back into the file's start and end (scripts/test-events-reporter.mjs).
//
// Used only for files that share nothing with their neighbours but the loaded modules: no child processes, no writes
// to process.env, no mocks (run-tests.mjs decides). What a file costs before its first test — loading the compiled
// sources, Fastify, PGlite's WebAssembly — is then paid once per group instead of once per file. A group with any
// failure is run again file by file, and those runs are the ones reported.
import path from 'node:path';
import { describe } from 'node:test';
import { pathToFileURL } from 'node:url';
import { groupFileMarker } from './test-events-reporter.mjs';

for (const file of process.argv.slice(2)) {
  describe(`${groupFileMarker}${file}`, async () => {
    await import(pathToFileURL(path.resolve(file)).href);
  });
}
