// npm run bench:start — how long a newcomer waits: `npm start` until the server answers its first request, on a fresh
// data directory and on reopening it, and `npm run pik -- …` until a command has printed its answer; each BENCH_ROUNDS
// times (default 5), medians printed. It times what README.md tells a newcomer to type (npm included), `./pik` (the
// CLI without npm) and, beside them, the plain `node dist/…` that npm runs, so that npm's own share is visible. It runs the compiled build in dist/
// (`npm install` makes it; `npm run build` remakes it) and builds it first when there is none. On a busy machine the
// wall times mostly measure the wait for a core; the server's own CPU time until its first answer is printed too.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Resolves once GET /health answers 200: polled every 10 ms, a refused connection meaning "not yet". */
async function firstAnswer(port: number, exited: () => boolean): Promise<void> {
  for (;;) {
    if (exited()) throw new Error('the server exited before answering');
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** CPU time (user + system, all threads) a process has used so far, in ms, from /proc (Linux); clock ticks of 10 ms. */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined || !fs.existsSync(`/proc/${pid}/stat`)) return Number.NaN;
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Started {
  ms: number;
  /** The server's CPU time until its first answer (for `node dist/main.js`; npm's own process is not counted). */
  cpuMs: number;
  stop(): Promise<void>;
}

/** Starts the server (`npm start`, or `node dist/main.js`) and measures the time to its first answer. */
async function startServer(how: 'npm' | 'node', dataDir: string, port: number, operatorToken: string): Promise<Started> {
  const [command, args] = how === 'npm' ? [npm, ['start', '--silent']] : [process.execPath, ['dist/main.js']];
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, PORT: String(port), PIK_DATA_DIR: dataDir, PIK_OPERATOR_TOKEN: operatorToken, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let hasExited = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => ((hasExited = true), resolve())));
  await firstAnswer(port, () => hasExited);
  const ms = performance.now() - started;
  const cpuMs = how === 'node' ? processCpuMs(child.pid) : Number.NaN;
  return {
    ms,
    cpuMs,
    stop: async () => {
      child.kill('SIGTERM'); // to npm itself for `npm start`: what Ctrl+C or `kill` does
      await exited;
    },
  };
}

/** Runs one CLI command to its end and measures it. */
function timeCli(how: 'npm' | 'node' | 'script', args: string[], port: number, operatorToken: string): number {
  const [command, argv] = how === 'npm' ? [npm, ['run', '--silent', 'pik', '--', ...args]] : how === 'script' ? ['./pik', args] : [process.execPath, ['dist/pik.js', ...args]];
  const started = performance.now();
  const result = spawnSync(command, argv, { cwd: root, env: { ...process.env, PIK_URL: `http://127.0.0.1:${port}`, PIK_OPERATOR_TOKEN: operatorToken }, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`pik ${args.join(' ')} failed: ${result.stderr}`);
  return ms;
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(root, 'dist/main.js'))) {
    process.stdout.write('no dist/: building it (npm run build)\n');
    const build = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('npm run build failed');
  }
  const operatorToken = `pikop_bench_${'s'.repeat(30)}`;
  const figures: Record<string, number[]> = {};
  const record = (label: string, ms: number): void => void (figures[label] ??= []).push(ms);
  process.stdout.write(`bench:start — ${rounds} rounds, node ${process.version}, ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(2)}\n`);
  for (let round = 1; round <= rounds; round++) {
    for (const how of ['npm', 'node'] as const) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-bench-start-'));
      try {
        const port = await freePort();
        const fresh = await startServer(how, dataDir, port, operatorToken);
        record(`${how} fresh`, fresh.ms);
        if (how === 'node') record('node fresh cpu', fresh.cpuMs);
        await fresh.stop();
        const reopen = await startServer(how, dataDir, port, operatorToken);
        record(`${how} reopen`, reopen.ms);
        if (how === 'node') record('node reopen cpu', reopen.cpuMs);
        record(`${how} cli`, timeCli(how, ['platforms', 'list'], port, operatorToken));
        if (how === 'npm') record('script cli', timeCli('script', ['platforms', 'list'], port, operatorToken));
        await reopen.stop();
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    }
    process.stdout.write(`  round ${round}: ${Object.entries(figures).map(([label, values]) => `${label} ${seconds(values.at(-1)!)}`).join(', ')}\n`);
  }
  const rows: [string, string][] = [
    ['first answer, fresh data directory (`npm start`)', 'npm fresh'],
    ['first answer, reopening it (`npm start`)', 'npm reopen'],
    ['`npm run pik -- platforms list`', 'npm cli'],
    ['`./pik platforms list`', 'script cli'],
    ['first answer, fresh data directory (`node dist/main.js`)', 'node fresh'],
    ['first answer, reopening it (`node dist/main.js`)', 'node reopen'],
    ['`node dist/pik.js platforms list`', 'node cli'],
    ['CPU time of the server until its first answer, fresh', 'node fresh cpu'],
    ['CPU time of the server until its first answer, reopen', 'node reopen cpu'],
  ];
  process.stdout.write(`\n| what | median of ${rounds} | min | max |\n|---|---|---|---|\n`);
  for (const [label, key] of rows) {
    const values = figures[key]!;
    process.stdout.write(`| ${label} | ${seconds(median(values))} | ${seconds(Math.min(...values))} | ${seconds(Math.max(...values))} |\n`);
  }
}

await main();
