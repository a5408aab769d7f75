// The `pik` CLI as tests run it: src/cli/pik.ts bundled once per test process with esbuild, then started with plain
// node. It is the same code `npm run pik` runs through tsx, compiled once instead of at every start: a command costs
// about 0.15 CPU-seconds instead of 0.6, and the CLI tests run some forty commands.
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
