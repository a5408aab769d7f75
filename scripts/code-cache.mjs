// Runs a CommonJS bundle of the build (dist/app/main.cjs, dist/app/pik.cjs) with a V8 code cache beside it: what V8
// compiled in an earlier run is reused instead of parsing and compiling the 5 MB again, about a fifth of a start's CPU
// on this 2-core machine. Node 20 has no compile cache of its own for modules (module.enableCompileCache is Node 22),
// so the bundle is a script and the cache is vm.Script's `cachedData`.
//
// The cache is written by the run that found none, or found it rejected (V8 checks it against the source, its own
// version and flags): by the server a few seconds after it started, by a command when it exits. Writing is best effort
// (a read-only install runs without one) and atomic (a rename), so concurrent starts never read half a file.
import fs from 'node:fs';
import { createRequire, Module } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { isAscii } from 'node:buffer';

/** How long after a start the cache is taken: by then the start's functions are compiled and are in it. */
const takeCacheAfterMs = 3000;

/** Runs `url`, a CommonJS file, as node would run it as a main module, with the code cache next to it. */
export function runWithCodeCache(url) {
  // V8 refuses a cache made under other flags, and the server sets this one when it compiles PGlite's WebAssembly (so
  // does the CLI for fetch's): set first, it is the same when the cache is made and when it is used.
  v8.setFlagsFromString('--liftoff-only');
  globalThis[Symbol.for('pik.import')] = (specifier) => import(specifier);
  const filename = fileURLToPath(url);
  const cacheFile = `${filename}.v8-cache`;
  const bytes = fs.readFileSync(filename);
  // esbuild writes ASCII (non-ASCII characters escaped): read as Latin-1, the string is made without decoding UTF-8.
  const source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(source), {
    filename,
    cachedData,
    // No importModuleDynamically: on Node 20 functions restored from the cache lose it. The bundle's few import()s go
    // through loadModule (src/lib/load-module.ts), which borrows this module's import(), lent below.
  });
  if (cachedData === undefined || script.cachedDataRejected) {
    let taken = false;
    const take = () => {
      if (taken) return;
      taken = true;
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        fs.rmSync(tmp, { force: true });
      }
    };
    setTimeout(take, takeCacheAfterMs).unref();
    process.once('exit', take);
  }
  const module = { exports: {}, filename, id: '.', loaded: false };
  script.runInThisContext()(module.exports, createRequire(filename), module, filename, path.dirname(filename));
}
