// pik verifications … and pik capabilities …: the operator's identity review and platform capabilities.
import type { Command } from 'commander';
import { capabilities as capabilityNames, isCapability } from '../../lib/capabilities.ts';
import type { OperatorClient } from '../client.ts';
import { printJson, printLines, printTable } from '../output.ts';
import { checkEnvironment } from './environment-option.ts';

const decisions = ['approved', 'rejected', 'action_required'];

export function registerVerificationCommands(program: Command, client: OperatorClient): void {
  const verifications = program.command('verifications').description('identity reviews of connected accounts');

  verifications
    .command('list')
    .description('the review queue: accounts waiting for a decision, oldest first')
    .requiredOption('--environment <env>', 'production (or sandbox)')
    .option('--status <status>', 'pending (default), approved, rejected or action_required')
    .option('--limit <n>', 'at most this many (1-100)', '100')
    .option('--json', 'print only JSON')
    .action(async (options: { environment: string; status?: string; limit: string; json?: boolean }) => {
      checkEnvironment(options.environment);
      const query = new URLSearchParams({ environment: options.environment, limit: options.limit });
      if (options.status) query.set('status', options.status);
      const list = await client.call('GET', `/admin/v1/verifications?${query.toString()}`);
      if (options.json) return printJson(list.data);
      printTable(list.data, ['account_id', 'platform_id', 'kind', 'name', 'country', 'submission_count', 'submitted_at']);
      if (list.next_cursor) printLines(['(more: raise --limit, or decide these first)']);
    });

  verifications
    .command('show')
    .description("one account's verification and the identity submitted (id numbers masked)")
    .argument('<account_id>', 'the connected account, acct_…')
    .requiredOption('--environment <env>', 'production (or sandbox)')
    .option('--json', 'print only JSON')
    .action(async (accountId: string, options: { environment: string; json?: boolean }) => {
      checkEnvironment(options.environment);
      const view = await client.call(
        'GET',
        `/admin/v1/verifications/${encodeURIComponent(accountId)}?environment=${encodeURIComponent(options.environment)}`,
      );
      if (options.json) return printJson(view);
      printLines([`${view.account_id}: ${view.status}${view.reason ? ` (${view.reason})` : ''}`, JSON.stringify(view.identity, null, 2)]);
    });

  verifications
    .command('decide')
    .description('approve, reject, or ask for more (action_required)')
    .argument('<account_id>', 'the connected account, acct_…')
    .requiredOption('--environment <env>', 'production (or sandbox)')
    .requiredOption('--status <status>', 'approved, rejected or action_required')
    .option('--reason <reason>', 'why; shown to the platform')
    .option('--json', 'print only JSON')
    .action(async (accountId: string, options: { environment: string; status: string; reason?: string; json?: boolean }) => {
      checkEnvironment(options.environment);
      if (!decisions.includes(options.status)) throw new Error('--status must be approved, rejected or action_required');
      const view = await client.call('POST', `/admin/v1/verifications/${encodeURIComponent(accountId)}/decision`, {
        environment: options.environment,
        status: options.status,
        ...(options.reason === undefined ? {} : { reason: options.reason }),
      });
      if (options.json) return printJson(view);
      printLines([`${view.account_id} is now ${view.status}${view.reason ? `: ${view.reason}` : ''}.`]);
    });

  const capabilities = program.command('capabilities').description("a platform account's capabilities (its keys inherit them)");
  for (const [name, method, verb] of [['enable', 'POST', 'enabled'], ['disable', 'DELETE', 'disabled']] as const) {
    capabilities
      .command(name)
      .description(`${name} a capability of a platform account in one environment`)
      .requiredOption('--platform <acct>', 'the platform account id')
      .requiredOption('--environment <env>', 'sandbox or production')
      .requiredOption('--capability <name>', capabilityNames.join(', '))
      .option('--json', 'print only JSON')
      .action(async (options: { platform: string; environment: string; capability: string; json?: boolean }) => {
        checkEnvironment(options.environment);
        if (!isCapability(options.capability)) throw new Error(`--capability must be one of ${capabilityNames.join(', ')}`);
        const base = `/admin/v1/platforms/${encodeURIComponent(options.platform)}/capabilities/${options.capability}`;
        const list =
          method === 'POST'
            ? await client.call('POST', base, { environment: options.environment })
            : await client.call('DELETE', `${base}?environment=${options.environment}`);
        if (options.json) return printJson(list);
        printLines([`${options.capability} ${verb} for ${options.platform} in ${options.environment}.`]);
        printTable(list.data, ['name', 'status']);
      });
  }
}
