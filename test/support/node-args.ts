// How tests start a server process (src/main.ts or a crash-test entry): as `npm start` does, through tsx, plus two
// things that change nothing it does and cut about a third of its start-up CPU (measured: 15.2 → 10.4 CPU-seconds for
// a first start, on the 2-core machine): the ES-module packages it loads are imported before tsx registers its loader
// (Node 20 runs loader hooks on another thread, a round trip per module), and V8 compiles PGlite's WebAssembly with
// its baseline tier only (see scripts/run-tests.mjs).
const serverPackages = ['@electric-sql/pglite', '@electric-sql/pglite/node-postgres', 'kysely', 'typebox', 'typebox/value', 'ulid'];

export function serverNodeArgs(entry: string): string[] {
  return ['--liftoff-only', ...serverPackages.flatMap((specifier) => ['--import', specifier]), '--import', 'tsx', entry];
}
