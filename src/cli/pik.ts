// The `pik` operator CLI: a thin client of /admin/v1 on a running server (npm run pik -- <command>).
import { Command, CommanderError } from 'commander';
import { CliError, createOperatorClient } from './client.ts';
import { registerMoneyCommands } from './commands/money.ts';
import { registerPlatformCommands } from './commands/platforms.ts';
import { registerVerificationCommands } from './commands/verifications.ts';

const program = new Command('pik')
  .description('Operate a PIK server: platforms, API keys, reviews, deposits, payouts. Talks to PIK_URL (default http://127.0.0.1:4000).')
  .showHelpAfterError()
  .exitOverride();

const client = createOperatorClient();
registerPlatformCommands(program, client);
registerVerificationCommands(program, client);
registerMoneyCommands(program, client);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  process.stderr.write(`pik: ${error instanceof CliError || error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
