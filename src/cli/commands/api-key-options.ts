// The options of the commands a platform developer runs with an API key (listen, events …): the key and the server.
import { Option, type Command } from 'commander';
import { parseApiKey } from '../../lib/api-key.ts';
import type { Environment } from '../../lib/environments.ts';
import { CliError, createApiClient, serverUrl, type ApiClient } from '../client.ts';

export interface ApiKeyOptions {
  apiKey: string;
  url?: string;
}

/** Adds --api-key (or PIK_API_KEY, which keeps the key out of the shell history) and --url. */
export function withApiKeyOptions(command: Command): Command {
  return command
    .addOption(new Option('--api-key <key>', "the platform's API key, pik_test_… or pik_live_…").env('PIK_API_KEY').makeOptionMandatory())
    .option('--url <url>', 'the PIK server (default: PIK_URL, else http://127.0.0.1:4000)');
}

/**
 * The client for the key given, once its format and checksum are right. A message never repeats the key: it would
 * land in terminal scrollback and CI logs.
 */
export function apiClientFrom(options: ApiKeyOptions): { client: ApiClient; environment: Environment } {
  const parsed = parseApiKey(options.apiKey);
  if (!parsed.ok) throw new CliError('--api-key is not a PIK API key (pik_test_… or pik_live_… with its checksum): check for a truncated paste.');
  return { client: createApiClient(options.apiKey, serverUrl(options.url)), environment: parsed.environment };
}
