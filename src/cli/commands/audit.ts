// pik audit list: a platform's audit log, newest first (GET /admin/v1/audit-log).
import type { Command } from 'commander';
import type { OperatorClient } from '../client.ts';
import { printJson, printTable } from '../output.ts';

export function registerAuditCommands(program: Command, client: OperatorClient): void {
  const audit = program.command('audit').description("a platform's audit log");
  audit
    .command('list')
    .description('list audit entries, newest first')
    .requiredOption('--platform <acct>', 'the platform account id')
    .option('--action <action>', 'only this action, e.g. api_key.rolled')
    .option('--actor-type <type>', 'only user, operator, api_key or system')
    .option('--environment <env>', 'only sandbox or production')
    .option('--since <time>', 'entries at or after this date-time')
    .option('--limit <n>', 'how many (1–100)', '50')
    .option('--cursor <cursor>', 'next_cursor of the previous page')
    .option('--json', 'print only JSON')
    .action(async (options: { platform: string; action?: string; actorType?: string; environment?: string; since?: string; limit: string; cursor?: string; json?: boolean }) => {
      const query = new URLSearchParams({ platform: options.platform, limit: options.limit });
      if (options.action) query.set('action', options.action);
      if (options.actorType) query.set('actor_type', options.actorType);
      if (options.environment) query.set('environment', options.environment);
      if (options.since) query.set('since', options.since);
      if (options.cursor) query.set('cursor', options.cursor);
      const page = await client.call('GET', `/admin/v1/audit-log?${query.toString()}`);
      if (options.json) return printJson(page);
      printTable(
        (page.data as Record<string, any>[]).map((e) => ({ // eslint-disable-line @typescript-eslint/no-explicit-any
          occurred_at: e.occurred_at,
          actor: e.actor.id ? `${e.actor.type}:${e.actor.id}` : e.actor.type,
          action: e.action,
          target: e.target.id ?? e.target.type,
          environment: e.environment ?? '',
          ip: e.ip ?? '',
        })),
        ['occurred_at', 'actor', 'action', 'target', 'environment', 'ip'],
      );
      if (page.next_cursor) process.stdout.write(`More: --cursor ${page.next_cursor}\n`);
    });
}
