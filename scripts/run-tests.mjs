// npm test: every *.test.ts under src/ and test/, in two halves — on embedded PGlite, and on PostgreSQL whenever a
// server is reachable (DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres) — then one closing summary.
//
//   node scripts/run-tests.mjs [--pglite | --postgres] [--concurrency N] [--no-group] [path substring …]
//
// Test files run in node:test processes (node --import tsx), several at a time, files of both halves mixed, the
// longest first (by the previous run's times, kept in test/.cache/test-times.json). Files that touch nothing a process
// shares (no child processes, no writes to process.env, no mocks) run a few to a process (scripts/test-group.mjs), so
// that loading the sources and PGlite is paid once per group; a group with a failure runs again file by file, and
// --no-group (or PIK_TEST_GROUP=0) gives every file its own process. Each process's output is printed whole when it
// finishes. PostgreSQL runs only the files that use the test database (they reach
// test/support/database.ts); the others never open it and would only repeat their PGlite run.
//
// Environment: DATABASE_URL — the PostgreSQL server for the PostgreSQL half (each test file creates and drops its own
// database there, a copy of one migrated template per run); PIK_REQUIRE_POSTGRES=1 — fail when the PostgreSQL half
// cannot run (CI); PIK_TEST_CONCURRENCY — files at a time; PIK_TEST_FILE_TIMEOUT — seconds before a file is killed.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = path.join(root, 'test/.cache');
const timesFile = path.join(cacheDir, 'test-times.json');
/** A copy of test-times.json committed with the code (refresh it with `cp test/.cache/test-times.json test/test-times.json`). */
const baselineTimesFile = path.join(root, 'test/test-times.json');
const reporter = path.join(root, 'scripts/test-events-reporter.mjs');
const groupEntry = path.join(root, 'scripts/test-group.mjs');
const defaultPostgresUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
const halfNames = { pglite: 'PGlite', postgres: 'PostgreSQL' };

// ---------------------------------------------------------------------------------------------------------- options

function parseArgs(argv) {
  const options = { halves: { pglite: true, postgres: true }, only: [], group: process.env.PIK_TEST_GROUP !== '0', concurrency: Number(process.env.PIK_TEST_CONCURRENCY) || defaultConcurrency() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--pglite') options.halves.postgres = false;
    else if (arg === '--postgres') options.halves.pglite = false;
    else if (arg === '--no-group') options.group = false;
    else if (arg === '--concurrency' || arg === '-j') options.concurrency = Number(argv[++i]);
    else if (arg.startsWith('--concurrency=')) options.concurrency = Number(arg.slice('--concurrency='.length));
    else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
    else options.only.push(arg);
  }
  if (!options.halves.pglite && !options.halves.postgres) usage('--pglite and --postgres exclude each other');
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) usage('--concurrency needs a whole number ≥ 1');
  return options;
}

function usage(problem) {
  console.error(`${problem}\nusage: node scripts/run-tests.mjs [--pglite | --postgres] [--concurrency N] [--no-group] [path substring …]`);
  process.exit(2);
}

/** Files wait on PostgreSQL, server processes and timers much of the time: one more than the CPUs keeps them busy. */
function defaultConcurrency() {
  return os.availableParallelism() + 1;
}

// ------------------------------------------------------------------------------------------------------------ files

function findTestFiles(only) {
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== '.cache' && entry.name !== 'node_modules') walk(rel);
      else if (entry.isFile() && entry.name.endsWith('.test.ts')) files.push(rel);
    }
  };
  for (const dir of ['src', 'test']) if (fs.existsSync(path.join(root, dir))) walk(dir);
  files.sort();
  return only.length > 0 ? files.filter((f) => only.some((o) => f.includes(o) || path.resolve(o) === path.join(root, f))) : files;
}

/**
 * What a test file's run-time imports reach, following relative imports through src/ and test/ (`import type` is
 * erased at run time and does not count):
 * - usesTestDatabase: whether PostgreSQL can change its outcome — its imports reach test/support/database.ts, where
 *   the test database is chosen, or it reads DATABASE_URL itself;
 * - esmPackages: the ES-module packages it imports (kysely, typebox, PGlite, …), to load before tsx (see runJob);
 * - runsAlone: whether it must have a process of its own (see scripts/test-group.mjs for what may share one).
 */
function importGraph(file) {
  const seen = new Set();
  const packages = new Set();
  let usesTestDatabase = false;
  let runsAlone = false;
  const visit = (rel) => {
    if (seen.has(rel)) return;
    seen.add(rel);
    if (rel === 'test/support/database.ts') usesTestDatabase = true;
    let text;
    try {
      text = fs.readFileSync(path.join(root, rel), 'utf8');
    } catch {
      return;
    }
    if (/process\.env\.DATABASE_URL|process\.env\[['"]DATABASE_URL['"]\]/.test(text)) usesTestDatabase = true;
    // Child processes (servers, the CLI, a browser), the environment, mocks and process hooks are shared by everything
    // in a process: a file that touches them runs in a process of its own.
    if ((rel === file || rel.startsWith('test/')) && /node:child_process|process\.env(\.\w+|\[[^\]]+\])\s*=[^=]|delete process\.env|process\.on\(|\bmock\.|playwright/.test(text)) runsAlone = true;
    const specifiers = [];
    for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^'";]*?\bfrom\s+['"]([^'"]+)['"]/gm)) if (!m[1]) specifiers.push(m[2]);
    for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) specifiers.push(m[1]);
    for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(m[1]);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) visit(path.posix.normalize(path.posix.join(path.posix.dirname(rel), specifier)));
      else if (!specifier.startsWith('node:') && isEsmPackage(specifier)) packages.add(specifier);
    }
  };
  visit(file);
  return { usesTestDatabase, runsAlone, esmPackages: [...packages].sort() };
}

/**
 * A test file whose subject cannot depend on the database engine — the HTTP edge's parsing, the error shape, the
 * OpenAPI document, a browser driving the dashboard — says so in a line of its own, with why:
 *   // pik-test: engine-independent — <why>
 * and runs in the PGlite half only: on PostgreSQL it would only repeat itself. The closing summary lists each with its
 * reason. The PostgreSQL half is for what the engine can change: locking, concurrency, several connections and
 * processes, SQL semantics, migrations.
 */
const engineIndependentMarker = 'pik-test: engine-independent';
function engineIndependent(file) {
  const m = new RegExp(`^// ${engineIndependentMarker} — (.+)$`, 'm').exec(fs.readFileSync(path.join(root, file), 'utf8'));
  return m ? m[1].trim() : undefined;
}

const esmPackageCache = new Map();
/** Is this bare specifier's package an ES module package ("type": "module")? */
function isEsmPackage(specifier) {
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
  if (!esmPackageCache.has(name)) {
    let esm = false;
    try {
      esm = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).type === 'module';
    } catch {
      // not installed at the top level: leave it to the loader
    }
    esmPackageCache.set(name, esm);
  }
  return esmPackageCache.get(name);
}

// ------------------------------------------------------------------------------------------------------- PostgreSQL

const redact = (url) => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
};

async function withClient(url, fn, timeoutMs = 3000) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Resolves with undefined when the server answers, else with why not. */
async function probePostgres(url) {
  try {
    await withClient(url, (c) => c.query('select 1'), 2000);
    return undefined;
  } catch (error) {
    return error instanceof Error && error.message ? error.message : String(error?.code ?? error);
  }
}

/** Drops the run's template and any database a killed test file left behind (test/support/database.ts names them). */
async function dropRunDatabases(url, runId) {
  await withClient(url, async (client) => {
    const names = (await client.query('SELECT datname FROM pg_database WHERE starts_with(datname, $1) OR datname = $2', [`pik_test_${runId}_`, `pik_template_${runId}`])).rows.map(
      (r) => r.datname,
    );
    for (const name of names) {
      const id = pg.escapeIdentifier(name);
      await client.query(`ALTER DATABASE ${id} WITH IS_TEMPLATE false`);
      await client.query(`DROP DATABASE IF EXISTS ${id} WITH (FORCE)`);
    }
  });
}

// ------------------------------------------------------------------------------------------------------------- jobs

/** CPU seconds of this process's reaped children, from /proc (Linux); undefined elsewhere. */
function childrenCpuSeconds() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // cutime + cstime, in USER_HZ (100 on Linux)
  } catch {
    return undefined;
  }
}

const running = new Set();

function runJob(job, env, timeoutSeconds) {
  const eventsFile = path.join(os.tmpdir(), `pik-test-${process.pid}-${randomBytes(6).toString('hex')}.jsonl`);
  // The ES-module packages the file imports are loaded first, before tsx registers its loader: Node 20 runs loader
  // hooks on a separate thread, a round trip for every module, and kysely, typebox and PGlite are hundreds of
  // modules — about a second of CPU per test file. They are the same modules either way (node resolves them).
  const preload = job.esmPackages.flatMap((specifier) => ['--import', specifier]);
  // --liftoff-only: V8 compiles PGlite's WebAssembly (9 MB) with its baseline compiler only. The optimising tier
  // costs more CPU than it wins back in a test file's life — measured on the slowest PGlite file too.
  const entry = job.files.length === 1 ? job.files : [groupEntry, ...job.files];
  const args = ['--liftoff-only', ...preload, '--import', 'tsx', '--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${reporter}`, `--test-reporter-destination=${eventsFile}`, ...entry];
  const started = Date.now();
  return new Promise((resolve) => {
    // Its own process group, so that a timeout or Ctrl-C also ends the servers and browsers the file started.
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.add(child);
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      let events = [];
      try {
        events = fs
          .readFileSync(eventsFile, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line));
      } catch {
        // no events: the file died before node:test reported anything
      }
      fs.rmSync(eventsFile, { force: true });
      resolve({ ...job, code, signal, timedOut, timeoutSeconds, events, output: Buffer.concat(output).toString('utf8'), seconds: (Date.now() - started) / 1000 });
    });
  });
}

function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Test files that may share a process (see scripts/test-group.mjs) are packed into groups of about `budget` seconds
 * by the previous run's times (a file never timed counts as 15 s); a file as long as that, or one that must run alone,
 * is a job of its own.
 */
function packJobs(jobs, estimate, runsAlone, budget = 60, maxFiles = 6) {
  const packed = [];
  const open = new Map(); // half → the group being filled
  for (const job of jobs) {
    const seconds = estimate(job);
    if (runsAlone(job.file) || seconds >= budget) {
      packed.push({ half: job.half, files: [job.file], esmPackages: job.esmPackages, estimate: seconds });
      continue;
    }
    let group = open.get(job.half);
    if (!group || group.estimate + seconds > budget || group.files.length >= maxFiles) {
      group = { half: job.half, files: [], esmPackages: [], estimate: 0 };
      open.set(job.half, group);
      packed.push(group);
    }
    group.files.push(job.file);
    group.esmPackages = [...new Set([...group.esmPackages, ...job.esmPackages])].sort();
    group.estimate += seconds;
  }
  return packed.sort((a, b) => b.estimate - a.estimate);
}

/** One result per file of a group's run: its events (the group entry marks where each file's begin), its time. */
function splitGroup(result) {
  const byFile = new Map(result.files.map((file) => [file, []]));
  const seconds = new Map();
  let current;
  for (const event of result.events) {
    if (event.type === 'file') current = byFile.get(event.file);
    else if (event.type === 'file-end') {
      seconds.set(event.file, (event.durationMs ?? 0) / 1000);
      // A failing before/after hook of the file's own: its tests are cancelled, and the hook's error is the news.
      if (event.error) byFile.get(event.file)?.push({ type: 'test:fail', name: '(a hook of the file)', path: [], nesting: 0, error: event.error });
      current = undefined;
    } else if (event.type !== 'test:diagnostic') current?.push(event);
  }
  return result.files.map((file) => ({ ...result, file, events: byFile.get(file), output: '', seconds: seconds.get(file) ?? 0, group: result.files }));
}

async function runPool(jobs, concurrency, start, onDone) {
  const queue = [...jobs];
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const result = await start(job);
      onDone(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
}

// ---------------------------------------------------------------------------------------------------------- results

const counters = ['tests', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];

/** One file's counts — node's own closing counts — plus what node does not count: skipped suites, and dead files. */
function summarize(result) {
  const counts = Object.fromEntries(counters.map((c) => [c, 0]));
  let fromNode = false;
  for (const event of result.events) {
    const m = event.type === 'test:diagnostic' && event.nesting === 0 ? /^(tests|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(event.message) : null;
    if (m) {
      counts[m[1]] = Number(m[2]);
      fromNode = true;
    }
  }
  const outcomes = result.events.filter((e) => e.type === 'test:pass' || e.type === 'test:fail');
  if (!fromNode) {
    for (const e of outcomes.filter((o) => !o.suite)) {
      counts.tests++;
      if (e.skip !== undefined) counts.skipped++;
      else if (e.todo !== undefined) counts.todo++;
      else if (e.type === 'test:pass') counts.pass++;
      else if (e.error?.failureType === 'cancelledByParent') counts.cancelled++;
      else counts.fail++;
    }
  }
  const label = (e) => [...(e.path ?? []), e.name].join(' › ');
  const skips = outcomes.filter((e) => e.skip !== undefined).map((e) => ({ name: label(e), reason: e.skip === true ? '(no reason given)' : e.skip, suite: e.suite }));
  // node 20 counts a skipped describe() as no test at all ("skipped 0"); here it counts as one skipped test.
  const skippedSuites = skips.filter((s) => s.suite).length;
  counts.tests += skippedSuites;
  counts.skipped += skippedSuites;
  // A suite fails when one of its tests does: that test is listed, not the suite again.
  const failures = outcomes
    .filter((e) => e.type === 'test:fail' && !['cancelledByParent', 'subtestsFailed'].includes(e.error?.failureType))
    .map((e) => ({ name: label(e), message: e.error?.message ?? '' }));
  const fileProblem = result.timedOut
    ? `killed after ${result.timeoutSeconds} s (PIK_TEST_FILE_TIMEOUT)`
    : result.signal
      ? `killed by ${result.signal}`
      : result.code !== 0 && counts.fail + counts.cancelled === 0
        ? `exited with code ${result.code} although no test failed (an error outside the tests, or a crash)`
        : !fromNode && outcomes.length === 0 && result.code === 0
          ? 'registers no tests'
          : !fromNode && !result.group
          ? 'no closing counts from node:test (did the process end early?)'
          : counts.tests === 0
            ? 'registers no tests'
            : undefined;
  if (fileProblem) {
    counts.fail++;
    counts.tests++;
    failures.push({ name: '(the file itself)', message: fileProblem });
  }
  return { counts, skips, failures, failed: counts.fail + counts.cancelled > 0 };
}

const plural = (n, word, words = `${word}s`) => `${n} ${n === 1 ? word : words}`;
const fmtSeconds = (s) => {
  const whole = Math.round(s);
  return s >= 59.5 ? `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, '0')}s` : `${s.toFixed(1)} s`;
};

// ------------------------------------------------------------------------------------------------------------- main

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const files = findTestFiles(options.only);
  if (files.length === 0) {
    console.error('no test files found');
    process.exit(1);
  }
  const requirePostgres = ['1', 'true', 'yes'].includes(String(process.env.PIK_REQUIRE_POSTGRES ?? '').toLowerCase());
  const timeoutSeconds = Number(process.env.PIK_TEST_FILE_TIMEOUT) || 600;
  const runFailures = []; // problems of the run itself, each counted as one failure

  // The PostgreSQL half: where, or why not.
  const explicitUrl = process.env.DATABASE_URL || undefined;
  const postgresUrl = explicitUrl ?? defaultPostgresUrl;
  let postgresNotRun;
  if (!options.halves.postgres) postgresNotRun = 'not asked for (--pglite)';
  else {
    const unreachable = await probePostgres(postgresUrl);
    if (unreachable) {
      postgresNotRun = `no PostgreSQL server answers at ${redact(postgresUrl)}${explicitUrl ? ' (DATABASE_URL)' : ''}: ${unreachable}`;
    }
  }
  // Asked for by name (DATABASE_URL, --postgres) or required (CI): not being able to run it is a failure.
  if (postgresNotRun && (requirePostgres || (options.halves.postgres && (explicitUrl || !options.halves.pglite)))) {
    runFailures.push({ half: 'postgres', file: '(the run)', name: 'the PostgreSQL half', message: `could not run — ${postgresNotRun}${requirePostgres ? ' (PIK_REQUIRE_POSTGRES=1)' : ''}` });
  }

  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const graphs = new Map(files.map((f) => [f, importGraph(f)]));
  const postgresFiles = postgresNotRun ? [] : files.filter((f) => graphs.get(f).usesTestDatabase && !engineIndependent(f));
  const pgliteOnly = files.filter((f) => !postgresFiles.includes(f));
  const jobs = [
    ...(options.halves.pglite ? files.map((file) => ({ half: 'pglite', file })) : []),
    ...postgresFiles.map((file) => ({ half: 'postgres', file })),
  ].map((job) => ({ ...job, esmPackages: graphs.get(job.file).esmPackages }));
  // This checkout's last run, else the times committed with the code (a clean clone, CI): without either, files would
  // be ordered and grouped by guesswork, which cost a clean run about half a minute at its end.
  let times = {};
  for (const file of [timesFile, baselineTimesFile]) {
    try {
      times = JSON.parse(fs.readFileSync(file, 'utf8'));
      break;
    } catch {
      // no history here
    }
  }
  // Longest first, so that the slow files do not start last and leave the other workers idle; new files early.
  // Files that start servers or a browser are the slow ones when there is no history yet: they start first.
  const estimate = (job) => times[`${job.half} ${job.file}`] ?? (graphs.get(job.file).runsAlone ? 120 : 15);
  jobs.sort((a, b) => estimate(b) - estimate(a));
  const processes = options.group ? packJobs(jobs, estimate, (file) => graphs.get(file).runsAlone) : jobs.map((job) => ({ ...job, files: [job.file] }));

  const baseEnv = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' };
  delete baseEnv.NODE_TEST_CONTEXT;
  delete baseEnv.DATABASE_URL;
  const envFor = (half) => (half === 'postgres' ? { ...baseEnv, DATABASE_URL: postgresUrl, PIK_TEST_RUN: runId } : baseEnv);

  console.log(
    `Running ${plural(files.length, 'test file')} in ${plural(processes.length, 'process', 'processes')}, ${options.concurrency} at a time:` +
      `\n  PGlite half:     ${options.halves.pglite ? `${plural(files.length, 'file')} on embedded PGlite` : 'not asked for (--postgres)'}` +
      `\n  PostgreSQL half: ${postgresNotRun ? `NOT RUN — ${postgresNotRun}` : `${plural(postgresFiles.length, 'file')} on ${redact(postgresUrl)} (a fresh database per file)`}\n`,
  );

  const cleanup = async () => {
    for (const child of running) killGroup(child);
    if (postgresFiles.length > 0) await dropRunDatabases(postgresUrl, runId).catch((error) => console.error(`could not drop this run's test databases: ${error.message}`));
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the test files and dropping this run's databases`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  const started = Date.now();
  const results = [];
  let cpuBefore = childrenCpuSeconds();
  // A group whose files all passed is reported from its one run; otherwise each of its files runs again alone, and
  // those runs are reported — a failure is never blamed on a neighbour, nor hidden by one.
  const runProcess = async (job) => {
    const env = envFor(job.half);
    const result = await runJob(job, env, timeoutSeconds);
    if (job.files.length === 1) return { results: [{ ...result, file: job.files[0] }] };
    const perFile = splitGroup(result);
    const clean = result.code === 0 && !result.signal && !result.timedOut && perFile.every((r) => !summarize(r).failed);
    if (clean) return { results: perFile, group: result };
    const alone = [];
    for (const file of job.files) alone.push({ ...(await runJob({ ...job, files: [file] }, env, timeoutSeconds)), file, rerunAlone: true });
    // A test that failed names the cause better than the group's exit code, which every file of the group shares.
    const groupFailures = perFile.flatMap((r) => summarize(r).failures.map((f) => ({ ...f, file: r.file })));
    const firstFailure = groupFailures.find((f) => f.name !== '(the file itself)') ?? groupFailures[0];
    return { results: alone, failedGroup: { ...result, firstFailure } };
  };
  const failedGroups = [];
  await runPool(processes, options.concurrency, runProcess, ({ results: done, group, failedGroup }) => {
    const cpuNow = childrenCpuSeconds();
    const cpu = cpuNow === undefined || cpuBefore === undefined ? undefined : cpuNow - cpuBefore;
    cpuBefore = cpuNow;
    const seconds = done.reduce((n, r) => n + r.seconds, 0) || 1;
    const lines = [];
    if (group) lines.push(`\n── ${halfNames[group.half]}: ${plural(group.files.length, 'file')} in one process (${group.seconds.toFixed(1)} s${cpu === undefined ? '' : `, cpu ${cpu.toFixed(1)} s`})`);
    if (failedGroup) {
      failedGroups.push(failedGroup);
      lines.push(`\n── ${halfNames[failedGroup.half]}: a group of ${plural(failedGroup.files.length, 'file')} failed in one process; each ran again alone, and those runs count:\n${failedGroup.output.replace(/\s+$/, '')}`);
    }
    for (const result of done) {
      result.cpu = cpu === undefined ? undefined : (cpu * result.seconds) / seconds; // a group's CPU, shared by time
      result.summary = summarize(result);
      results.push(result);
      const c = result.summary.counts;
      const mark = result.summary.failed ? '✖' : '✔';
      const cpuNote = result.cpu === undefined ? '' : `, cpu ${result.cpu.toFixed(1)} s`;
      lines.push(
        `\n${mark} [${String(results.length).padStart(String(jobs.length).length)}/${jobs.length}] ${halfNames[result.half].padEnd(10)} ${result.file} — ` +
          `${c.pass} passed, ${c.fail + c.cancelled} failed, ${c.skipped} skipped (${result.seconds.toFixed(1)} s${cpuNote}${result.group ? ', in a group' : ''}${result.rerunAlone ? ', run again alone' : ''})`,
      );
      if (result.output) lines.push(result.output.replace(/\s+$/, ''));
    }
    if (group) lines.push(group.output.replace(/\s+$/, ''));
    process.stdout.write(`${lines.join('\n')}\n`);
  });
  const wall = (Date.now() - started) / 1000;
  await cleanup();

  for (const r of results) times[`${r.half} ${r.file}`] = Math.round(r.seconds * 10) / 10;
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.writeFileSync(timesFile, `${JSON.stringify(times, null, 1)}\n`);
  fs.writeFileSync(
    path.join(cacheDir, 'last-run.json'),
    `${JSON.stringify({ finished: new Date().toISOString(), wallSeconds: wall, concurrency: options.concurrency, files: results.map((r) => ({ half: r.half, file: r.file, seconds: r.seconds, cpuSeconds: r.cpu, counts: r.summary.counts })) }, null, 1)}\n`,
  );

  // ------------------------------------------------------------------------------------------------- the summary
  const total = Object.fromEntries(counters.map((c) => [c, 0]));
  const lines = ['', '═'.repeat(100), 'Summary of both halves', ''];
  for (const half of ['pglite', 'postgres']) {
    const mine = results.filter((r) => r.half === half);
    const sum = Object.fromEntries(counters.map((c) => [c, mine.reduce((n, r) => n + r.summary.counts[c], 0)]));
    for (const c of counters) total[c] += sum[c];
    const seconds = mine.reduce((n, r) => n + r.seconds, 0);
    const cpu = mine.reduce((n, r) => n + (r.cpu ?? 0), 0);
    const notRun = half === 'postgres' ? postgresNotRun : options.halves.pglite ? undefined : 'not asked for (--postgres)';
    lines.push(
      notRun
        ? `${halfNames[half].padEnd(11)} NOT RUN — ${notRun}`
        : `${halfNames[half].padEnd(11)} ${plural(mine.length, 'file').padStart(8)}  ${String(sum.tests).padStart(4)} tests: ${sum.pass} passed, ${sum.fail + sum.cancelled} failed, ${sum.skipped} skipped${sum.todo ? `, ${sum.todo} todo` : ''}` +
            `   (files' time ${fmtSeconds(seconds)}, cpu ${fmtSeconds(cpu)})`,
    );
  }
  if (!postgresNotRun && pgliteOnly.length > 0 && options.halves.pglite) {
    const noDatabase = pgliteOnly.filter((f) => !graphs.get(f).usesTestDatabase);
    const declared = pgliteOnly.filter((f) => graphs.get(f).usesTestDatabase);
    if (noDatabase.length > 0) lines.push(`  ${plural(noDatabase.length, 'file')} ran on PGlite only — they never open the test database: ${noDatabase.join(', ')}`);
    if (declared.length > 0) {
      lines.push(`  ${plural(declared.length, 'file')} ran on PGlite only — the database engine is not their subject (each says why in its "${engineIndependentMarker}" line):`);
      for (const f of declared) lines.push(`    ${f}: ${engineIndependent(f)}`);
    }
  }

  const skips = results.flatMap((r) => r.summary.skips.map((s) => ({ ...s, half: r.half, file: r.file })));
  if (skips.length > 0) {
    lines.push('', `Skipped (${skips.length}):`);
    for (const s of skips) {
      const elsewhere = results.find((r) => r.half !== s.half && r.file === s.file);
      const ranThere =
        elsewhere && !elsewhere.summary.skips.some((o) => o.name === s.name)
          ? ` [it ran in the ${halfNames[elsewhere.half]} half]`
          : s.half === 'pglite' && postgresNotRun && options.halves.postgres
            ? ' [the PostgreSQL half did not run]'
            : '';
      lines.push(`  ${halfNames[s.half].padEnd(10)} ${s.file} › ${s.name} — ${s.reason}${s.suite ? ' (a skipped describe: node counts it as no test; counted here as one)' : ''}${ranThere}`);
    }
  }

  const failures = [...runFailures, ...results.flatMap((r) => r.summary.failures.map((f) => ({ ...f, half: r.half, file: r.file })))];
  total.fail += runFailures.length;
  total.tests += runFailures.length;
  if (failures.length > 0) {
    lines.push('', `Failed (${failures.length}):`);
    for (const f of failures) lines.push(`  ${halfNames[f.half].padEnd(10)} ${f.file} › ${f.name}${f.message ? ` — ${f.message}` : ''}`);
  }

  // Not counted as failures (each file's run alone is what counts), but never hidden: a test that fails only in company
  // depends on its neighbours or on timing, and that is a bug of the test worth fixing.
  if (failedGroups.length > 0) {
    lines.push('', `Groups that failed in one process (${failedGroups.length}); their files ran again alone and those runs are counted above:`);
    for (const g of failedGroups) {
      const message = g.firstFailure?.message.split('\n')[0]?.slice(0, 200) ?? '';
      const first = g.firstFailure ? `${g.firstFailure.file} › ${g.firstFailure.name}${message ? ` — ${message}` : ''}` : g.timedOut ? 'timed out' : `exit ${g.code ?? g.signal}`;
      lines.push(`  ${halfNames[g.half].padEnd(10)} ${g.files.join(', ')}`, `             first failure: ${first}`);
    }
  }

  const slowest = [...results].sort((a, b) => b.seconds - a.seconds).slice(0, 5);
  lines.push('', `Slowest files: ${slowest.map((r) => `${r.file} (${halfNames[r.half]}) ${r.seconds.toFixed(0)} s`).join(', ')}`);
  lines.push(`Wall time ${fmtSeconds(wall)}, ${options.concurrency} files at a time.`);
  if (postgresNotRun && options.halves.postgres) {
    lines.push('', '!! The PostgreSQL half did NOT run: only the PGlite results above count, and its PostgreSQL-only tests were skipped.');
  }
  const failed = total.fail + total.cancelled;
  lines.push(
    '',
    `ℹ tests ${total.tests}`,
    `ℹ pass ${total.pass}`,
    `ℹ fail ${total.fail}`,
    `ℹ cancelled ${total.cancelled}`,
    `ℹ skipped ${total.skipped}`,
    `ℹ todo ${total.todo}`,
    `ℹ duration_ms ${Math.round(wall * 1000)}`,
    `${total.pass} passed, ${failed} failed, ${total.skipped} skipped`,
  );
  console.log(lines.join('\n'));
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
