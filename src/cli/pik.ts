// The `pik` CLI, a thin client of a running server (npm run pik -- <command>): the operator's commands (/admin/v1,
// with the operator token) and a platform developer's (listen, events: /api/v1, with an API key).
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

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  process.stderr.write(`pik: ${error instanceof CliError || error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
