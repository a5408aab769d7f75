// The `pik` CLI, a thin client of a running server (npm run pik -- <command>): the operator's commands (/admin/v1,
// with the operator token) and a platform developer's (listen, events: /api/v1, with an API key).
import v8 from 'node:v8';
import { Command, CommanderError } from 'commander';
import { CliError, createOperatorClient } from './client.ts';
import { registerEventCommands } from './commands/events.ts';
import { registerFxCommands } from './commands/fx.ts';
import { registerAuditCommands } from './commands/audit.ts';
import { registerBackupCommands } from './commands/backup.ts';
import { registerListenCommand } from './commands/listen.ts';
import { registerMoneyCommands } from './commands/money.ts';
import { registerPlatformCommands } from './commands/platforms.ts';
import { registerVerificationCommands } from './commands/verifications.ts';

// fetch parses HTTP with WebAssembly (undici's llhttp). With V8's optimising tier on, exiting waits for its background
// recompilation — a few hundred ms after the answer is printed, on this 2-core machine; the baseline compiler is plenty
// for one request. Set before the first fetch compiles it.
v8.setFlagsFromString('--liftoff-only');

const program = new Command('pik')
  .description(
    'Operate a PIK server: platforms, API keys, reviews, deposits, payouts, FX rates; and, with a platform API key, follow its events ' +
      '(listen, events). Talks to PIK_URL (default http://127.0.0.1:4000).',
  )
  .showHelpAfterError()
  .exitOverride();

const client = createOperatorClient();
registerPlatformCommands(program, client);
registerVerificationCommands(program, client);
registerMoneyCommands(program, client);
registerFxCommands(program, client);
registerAuditCommands(program, client);
registerBackupCommands(program);
registerListenCommand(program);
registerEventCommands(program);

// Not top-level await: the build makes this a CommonJS script, which V8 can keep a code cache of (scripts/build.mjs).
async function run(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
    // Done: exit now rather than when an idle keep-alive connection to the server times out (a few hundred ms later).
    // Output to a pipe or file is written synchronously on Linux; the empty write's callback covers the rest.
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    process.exit(0);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    process.stderr.write(`pik: ${error instanceof CliError || error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

void run();
