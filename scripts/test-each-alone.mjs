// Runs every test of the given test files on its own (node --test-name-pattern, on embedded PGlite): a test that
// passes in its file but fails alone depends on rows an earlier test left behind.
//
//   node scripts/test-each-alone.mjs [--concurrency N] [path substring …]      (default: every file under test/)
//
// One process per test, so this takes long: meant for checking test independence, not for every change.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reporter = path.join(root, 'scripts/test-events-reporter.mjs');

const argv = process.argv.slice(2);
let concurrency = 2;
const only = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--concurrency' || argv[i] === '-j') concurrency = Number(argv[++i]);
  else only.push(argv[i]);
}
const files = fs
  .readdirSync(path.join(root, 'test'))
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `test/${f}`)
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// The ES-module packages every test file here loads, before tsx: see runJob in scripts/run-tests.mjs.
const preload = ['kysely', 'typebox', '@electric-sql/pglite', '@electric-sql/pglite/node-postgres', 'ulid'].flatMap((p) => ['--import', p]);

function run(file, pattern) {
  const eventsFile = path.join(os.tmpdir(), `pik-alone-${process.pid}-${randomBytes(6).toString('hex')}.jsonl`);
  const args = [...preload, '--import', 'tsx', `--test-reporter=${reporter}`, `--test-reporter-destination=${eventsFile}`];
  if (pattern !== undefined) args.push(`--test-name-pattern=${pattern}`);
  args.push(file);
  const env = { ...process.env, LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('close', (code) => {
      let events = [];
      try {
        events = fs
          .readFileSync(eventsFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l));
      } catch {
        // died before reporting
      }
      fs.rmSync(eventsFile, { force: true });
      resolve({ code, events, output });
    });
  });
}

const leaves = (events) => events.filter((e) => (e.type === 'test:pass' || e.type === 'test:fail') && !e.suite);

async function pool(items, fn) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let item = queue.shift(); item; item = queue.shift()) await fn(item);
    }),
  );
}

// First each whole file, for its test names.
const tasks = [];
await pool(files, async (file) => {
  const whole = await run(file);
  const tests = leaves(whole.events).filter((e) => e.skip === undefined);
  if (whole.code !== 0) console.log(`!! ${file} fails as a whole file; its tests alone are still tried`);
  // A name pattern selects every test of that name; the same name twice in one file is run together. A file with
  // one test name has nothing to depend on.
  const names = [...new Set(tests.map((t) => t.name))];
  console.log(`${file}: ${tests.length} tests, ${names.length} names${names.length < 2 ? ' (nothing to check)' : ''}`);
  if (names.length >= 2) for (const name of names) tasks.push({ file, name });
});

const failures = [];
let done = 0;
await pool(tasks, async (task) => {
  const result = await run(task.file, `^${escape(task.name)}$`);
  const ran = leaves(result.events).filter((e) => e.skip === undefined);
  const failed = ran.filter((e) => e.type === 'test:fail');
  const ok = result.code === 0 && ran.length > 0 && failed.length === 0;
  done++;
  if (!ok) {
    const why = failed.map((e) => e.error?.message).find(Boolean) ?? (ran.length === 0 ? 'did not run' : `exit code ${result.code}`);
    failures.push({ ...task, why });
    console.log(`✖ [${done}/${tasks.length}] ${task.file} › ${task.name} — ${why}`);
  } else console.log(`✔ [${done}/${tasks.length}] ${task.file} › ${task.name}`);
});
console.log(`\n${tasks.length - failures.length} of ${tasks.length} tests pass alone`);
for (const f of failures) console.log(`  ✖ ${f.file} › ${f.name} — ${f.why}`);
process.exitCode = failures.length > 0 ? 1 : 0;
