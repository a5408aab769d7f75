// The `pik` CLI as tests run it: src/cli/pik.ts bundled once per test process with esbuild, then started with plain
// node. It is the same code `npm run pik` runs through tsx, compiled once instead of at every start: a command costs
// about 0.15 CPU-seconds instead of 0.6, and the CLI tests run some forty commands.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let bundle: string | undefined;

/** The node arguments that run `pik <args…>`; start them with process.execPath and cwd at the repository root. */
export function pikCliArgs(args: readonly string[]): string[] {
  bundle ??= buildCli();
  return [bundle, ...args];
}

function buildCli(): string {
  // Inside the repository, so that its imports of packages (commander) resolve from node_modules.
  const out = path.join(root, 'test/.cache', `pik-cli-${process.pid}.mjs`);
  buildSync({ entryPoints: [path.join(root, 'src/cli/pik.ts')], outfile: out, bundle: true, packages: 'external', platform: 'node', format: 'esm', target: 'node20', logLevel: 'error' });
  process.once('exit', () => fs.rmSync(out, { force: true }));
  return out;
}

export interface PikRun {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with stdout once it matches; rejects if the command exits first or after `ms`, showing what it printed. */
  waitFor: (pattern: RegExp, ms?: number) => Promise<string>;
  exited: Promise<number | null>;
}

/** Starts `pik <args…>` and follows its output as it comes: for commands that keep running (listen). */
export function startPik(args: readonly string[], env: NodeJS.ProcessEnv): PikRun {
  const child = spawn(process.execPath, pikCliArgs(args), { cwd: root, env });
  let stdout = '';
  let stderr = '';
  let hasExited = false;
  const waiters = new Set<() => void>();
  const wake = (): void => waiters.forEach((w) => w());
  child.stdout.on('data', (chunk: Buffer) => ((stdout += String(chunk)), wake()));
  child.stderr.on('data', (chunk: Buffer) => ((stderr += String(chunk)), wake()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => ((hasExited = true), wake(), resolve(code))));
  const waitFor = (pattern: RegExp, ms = 15_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const settle = (error?: Error): void => {
        waiters.delete(check);
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(stdout);
      };
      const check = (): void => {
        if (pattern.test(stdout)) settle();
        else if (hasExited) settle(new Error(`pik exited before printing ${pattern}\nstdout: ${stdout}\nstderr: ${stderr}`));
      };
      const timer = setTimeout(() => settle(new Error(`pik printed no ${pattern} within ${ms} ms\nstdout: ${stdout}\nstderr: ${stderr}`)), ms);
      waiters.add(check);
      check();
    });
  return { child, stdout: () => stdout, stderr: () => stderr, waitFor, exited };
}
