// pik platforms … and pik keys …: platform accounts and their API keys.
import type { Command } from 'commander';
import { checkEnvironment } from './environment-option.ts';
import { rateLimitGroups } from '../../lib/rate-limit-groups.ts';
import type { OperatorClient } from '../client.ts';
import { printJson, printLines, printTable } from '../output.ts';
import { parseDuration } from '../../lib/durations.ts';
import { keyResources } from '../../lib/key-permissions.ts';

/** "full", or "payouts:write,balances:read" → { payouts: "write", balances: "read" } (the server checks the names). */
function permissionsOption(text: string): unknown {
  if (text.trim() === 'full') return 'full';
  const map: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [resource, access] = part.split(':');
    if (!resource || !access) throw new Error(`--permissions takes "full" or resource:read|write pairs, e.g. payouts:write,balances:read (got "${part}")`);
    map[resource] = access;
  }
  return map;
}

/** "30d", "24h", "90m" → seconds. */
function durationSeconds(option: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`${option} takes a duration such as 30d, 24h or 90m (got "${text}")`);
  return Math.floor(ms / 1000);
}

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];

/** One line per key's restrictions: "full access" or its permissions, the expiry, the allowlist size, the roll link. */
function restrictionsOf(key: Record<string, unknown>): string {
  const permissions =
    key.permissions === 'full' ? 'full access' : `permissions ${Object.entries(key.permissions as Record<string, string>).map(([r, a]) => `${r}:${a}`).join(',')}`;
  const parts = [permissions];
  if (key.expires_at) parts.push(`expires ${String(key.expires_at)}`);
  if (Array.isArray(key.allowed_ips)) parts.push(`${key.allowed_ips.length} IPs`);
  if (key.rolled_to) parts.push(`rolled to ${String(key.rolled_to)}`);
  return parts.join('; ');
}


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
    .option('--permissions <list>', `"full" (default) or resource:read|write pairs, comma-separated (${keyResources.join(', ')})`)
    .option('--expires-in <duration>', 'the key stops working after this long, e.g. 30d, 24h')
    .option('--allowed-ip <ip...>', 'an address or CIDR range the key accepts requests from (repeat, or comma-separate)', collect)
    .option('--json', 'print only JSON')
    .action(async (options: { platform: string; environment: string; name?: string; permissions?: string; expiresIn?: string; allowedIp?: string[]; json?: boolean }) => {
      checkEnvironment(options.environment);
      const expiresIn = options.expiresIn === undefined ? undefined : durationSeconds('--expires-in', options.expiresIn);
      const key = await client.call('POST', `/admin/v1/platforms/${encodeURIComponent(options.platform)}/keys`, {
        environment: options.environment,
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.permissions === undefined ? {} : { permissions: permissionsOption(options.permissions) }),
        ...(expiresIn === undefined ? {} : { expires_at: new Date(Date.now() + expiresIn * 1000).toISOString() }),
        ...(options.allowedIp === undefined ? {} : { allowed_ips: options.allowedIp }),
      });
      if (options.json) return printJson(key);
      printLines([
        `Created ${key.environment} key ${key.id} (${key.name}) for ${key.platform_id}: ${restrictionsOf(key)}`,
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
      printTable(
        (list.data as Record<string, unknown>[]).map((k) => ({ ...k, restrictions: restrictionsOf(k) })),
        ['id', 'environment', 'name', 'hint', 'status', 'restrictions', 'last_used_at', 'exposed'],
      );
    });

  keys
    .command('roll')
    .description('roll a key: a successor with the same name, permissions and allowlist (secret printed once); the old key expires after --expires-in')
    .argument('<key_id>', 'the key id, key_…')
    .requiredOption('--expires-in <duration>', 'how long the old key keeps working: 0s (now) to 7d, e.g. 24h')
    .option('--json', 'print only JSON')
    .action(async (keyId: string, options: { expiresIn: string; json?: boolean }) => {
      const rolled = await client.call('POST', `/admin/v1/keys/${encodeURIComponent(keyId)}/roll`, { expires_in_seconds: durationSeconds('--expires-in', options.expiresIn) });
      if (options.json) return printJson(rolled);
      printLines([
        `Rolled ${rolled.previous.id}: its successor is ${rolled.id} (${rolled.name}):`,
        '',
        `  ${rolled.secret}`,
        '',
        'This is the only time the new key is shown. Store it in your secret manager now.',
        `The old key ${rolled.previous.hint} keeps working until ${rolled.previous.expires_at}; then it gets 401 API_KEY_EXPIRED.`,
      ]);
    });

  keys
    .command('update')
    .description("change a key's permissions or IP allowlist (every server applies it within a second)")
    .argument('<key_id>', 'the key id, key_…')
    .option('--permissions <list>', '"full" or resource:read|write pairs, comma-separated')
    .option('--allowed-ip <ip...>', 'the new allowlist: addresses or CIDR ranges (repeat, or comma-separate)', collect)
    .option('--any-ip', 'remove the allowlist: any address may use the key')
    .option('--json', 'print only JSON')
    .action(async (keyId: string, options: { permissions?: string; allowedIp?: string[]; anyIp?: boolean; json?: boolean }) => {
      if (options.anyIp && options.allowedIp) throw new Error('give either --allowed-ip or --any-ip, not both');
      const body = {
        ...(options.permissions === undefined ? {} : { permissions: permissionsOption(options.permissions) }),
        ...(options.anyIp ? { allowed_ips: null } : options.allowedIp === undefined ? {} : { allowed_ips: options.allowedIp }),
      };
      if (Object.keys(body).length === 0) throw new Error('nothing to change: give --permissions, --allowed-ip or --any-ip');
      const key = await client.call('PATCH', `/admin/v1/keys/${encodeURIComponent(keyId)}`, body);
      if (options.json) return printJson(key);
      printLines([`Updated ${key.environment} key ${key.id} (${key.hint}): ${restrictionsOf(key)}`]);
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
