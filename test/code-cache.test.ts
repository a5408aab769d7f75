// scripts/code-cache.mjs, what `npm start` and `npm run pik` run the build through: the first run writes a V8 code
// cache beside the script, the next runs use it (and leave it alone), a changed script gets a new one, and import()
// through loadModule's lent import works in a run whose functions came from the cache.
// pik-test: engine-independent — runs small scripts in child processes; no database
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-code-cache-'));
const script = path.join(dir, 'app.cjs');
const cacheFile = `${script}.v8-cache`;
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// What the bundle does: CommonJS, a require of a built-in, and an import() of an ES module through the lent import.
const moduleFile = path.join(dir, 'answer.mjs');
fs.writeFileSync(moduleFile, 'export const answer = 42;\n');
const body = (marker: string) =>
  `const os = require('node:os');\n` +
  `function work() { return ${JSON.stringify(marker)} + ':' + typeof os.cpus; }\n` +
  `globalThis[Symbol.for('pik.import')](${JSON.stringify(pathToFileURL(moduleFile).href)}).then((m) => { process.stdout.write(work() + ':' + m.answer); });\n`;

function run(): string {
  const launcher = `import(${JSON.stringify(pathToFileURL(path.join(root, 'scripts/code-cache.mjs')).href)}).then((m) => m.runWithCodeCache(${JSON.stringify(pathToFileURL(script).href)}))`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', launcher], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '', 'nothing on stderr (no warning)');
  return result.stdout;
}

describe('the build runs through a V8 code cache', () => {
  it('writes the cache on the first run, uses it untouched on the next, and import() works with it', () => {
    fs.writeFileSync(script, body('first'));
    assert.equal(run(), 'first:function:42');
    assert.ok(fs.existsSync(cacheFile), 'the first run leaves a cache');
    const made = fs.readFileSync(cacheFile);
    assert.ok(made.length > 0);
    assert.equal(run(), 'first:function:42');
    assert.deepEqual(fs.readFileSync(cacheFile), made, 'a run that used the cache does not rewrite it');
  });

  it('a changed script gets a cache of its own (V8 rejects the old one)', () => {
    fs.writeFileSync(script, body('second, a longer marker so that the source differs'));
    const before = fs.readFileSync(cacheFile);
    assert.equal(run(), 'second, a longer marker so that the source differs:function:42');
    assert.notDeepEqual(fs.readFileSync(cacheFile), before);
    assert.equal(run(), 'second, a longer marker so that the source differs:function:42');
  });

  it('no leftovers: the write is a rename, no temporary file stays', () => {
    assert.deepEqual(fs.readdirSync(dir).filter((name) => name.includes('.tmp')), []);
  });
});
