// pik platforms … and pik keys …: platform accounts and their API keys.
import type { Command } from 'commander';
import { isEnvironment } from '../../lib/environments.ts';
import { rateLimitGroups } from '../../lib/rate-limit-groups.ts';
import type { OperatorClient } from '../client.ts';
import { printJson, printLines, printTable } from '../output.ts';


export function registerPlatformCommands(program: Command, client: OperatorClient): void {
  const platforms = program.command('platforms').description('platform accounts');

  platforms
    .command('create')
    .description('create a platform account with its first dashboard user')
    .requiredOption('--name <name>', 'the platform name')
    .requiredOption('--owner-email <email>', "the first dashboard user's email")
    .option('--owner-password <password>', 'their password; without it a one-time link to set one is printed')
    .option('--json', 'print only JSON')
    .action(async (options: { name: string; ownerEmail: string; ownerPassword?: string; json?: boolean }) => {
      const created = await client.call('POST', '/admin/v1/platforms', {
        name: options.name,
        owner_email: options.ownerEmail,
        ...(options.ownerPassword === undefined ? {} : { owner_password: options.ownerPassword }),
      });
      if (options.json) return printJson(created);
      printLines([
        `Created platform ${created.id} (${created.name})`,
        `Owner: ${created.owner.email}`,
        created.set_password_url
          ? `Set the owner's password (one-time link, valid 72 hours): ${created.set_password_url}`
          : 'The owner can sign in to the dashboard with the password given.',
        `Next: npm run pik -- keys create --platform ${created.id} --environment sandbox`,
      ]);
    });

  platforms
    .command('list')
    .description('list platform accounts')
    .option('--json', 'print only JSON')
    .action(async (options: { json?: boolean }) => {
      const list = await client.call('GET', '/admin/v1/platforms');
      if (options.json) return printJson(list.data);
      printTable(list.data, ['id', 'name', 'owner_email', 'created_at']);
    });

  platforms
    .command('limits')
    .description("show a platform's per-minute rate limits, or change them: --set payments=600 --set general=1000")
    .requiredOption('--platform <acct>', 'the platform account id')
    .option('--set <group=limit...>', `group=limit pairs (${rateLimitGroups.join(', ')}); without it, the limits are shown`)
    .option('--json', 'print only JSON')
    .action(async (options: { platform: string; set?: string[]; json?: boolean }) => {
      const path = `/admin/v1/platforms/${encodeURIComponent(options.platform)}/rate-limits`;
      let result;
      if (options.set) {
        const limits: Record<string, number> = {};
        for (const pair of options.set) {
          const [group, value] = pair.split('=');
          if (!group || !value || !/^\d+$/.test(value)) throw new Error(`--set takes group=limit, got "${pair}"`);
          limits[group] = Number(value);
        }
        result = await client.call('PUT', path, { limits });
      } else {
        result = await client.call('GET', path);
      }
      if (options.json) return printJson(result);
      printTable(Object.entries(result.limits as Record<string, number>).map(([group, limit]) => ({ group, per_minute: limit })), ['group', 'per_minute']);
    });

  const keys = program.command('keys').description("a platform's API keys");

  keys
    .command('create')
    .description('generate an API key (the secret is printed once)')
    .requiredOption('--platform <acct>', 'the platform account id')
    .requiredOption('--environment <env>', 'sandbox or production')
    .option('--name <name>', 'a name to recognise the key by')
    .option('--json', 'print only JSON')
    .action(async (options: { platform: string; environment: string; name?: string; json?: boolean }) => {
      if (!isEnvironment(options.environment)) throw new Error('--environment must be sandbox or production');
      const key = await client.call('POST', `/admin/v1/platforms/${encodeURIComponent(options.platform)}/keys`, {
        environment: options.environment,
        ...(options.name === undefined ? {} : { name: options.name }),
      });
      if (options.json) return printJson(key);
      printLines([
        `Created ${key.environment} key ${key.id} (${key.name}) for ${key.platform_id}:`,
        '',
        `  ${key.secret}`,
        '',
        'This is the only time the key is shown. Store it in your secret manager now.',
        `Try it: curl -H "Authorization: Bearer $PIK_API_KEY" ${client.baseUrl}/api/v1/account`,
      ]);
    });

  keys
    .command('list')
    .description("list a platform's API keys (hints only, never secrets)")
    .requiredOption('--platform <acct>', 'the platform account id')
    .option('--environment <env>', 'only sandbox or production keys')
    .option('--json', 'print only JSON')
    .action(async (options: { platform: string; environment?: string; json?: boolean }) => {
      const query = options.environment ? `?environment=${encodeURIComponent(options.environment)}` : '';
      const list = await client.call('GET', `/admin/v1/platforms/${encodeURIComponent(options.platform)}/keys${query}`);
      if (options.json) return printJson(list.data);
      printTable(list.data, ['id', 'environment', 'name', 'hint', 'status', 'last_used_at', 'exposed']);
    });

  keys
    .command('delete')
    .description('delete an API key; it stops working on every server within a second')
    .argument('<key_id>', 'the key id, key_…')
    .option('--json', 'print only JSON')
    .action(async (keyId: string, options: { json?: boolean }) => {
      const key = await client.call('DELETE', `/admin/v1/keys/${encodeURIComponent(keyId)}`);
      if (options.json) return printJson(key);
      printLines([`Deleted ${key.environment} key ${key.id} (${key.hint}). Requests with it now get 401 API_KEY_REVOKED.`]);
    });
}
