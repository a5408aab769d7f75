// pik events …: a platform's event log and redelivery to its webhook endpoints, with its API key (the events API).
import type { Command } from 'commander';
import type { EventPage } from '../event-follower.ts';
import { printJson, printLines, printTable } from '../output.ts';
import { apiClientFrom, withApiKeyOptions, type ApiKeyOptions } from './api-key-options.ts';
import { idempotencyKeyOption, keyOf } from './idempotency-option.ts';

interface ListOptions extends ApiKeyOptions {
  type?: string;
  account?: string;
  limit: string;
  cursor?: string;
  json?: boolean;
}

interface Delivery {
  id: string;
  endpoint_id: string;
  event_type: string;
  status: string;
}

export function registerEventCommands(program: Command): void {
  const events = program.command('events').description("a platform's events, with its API key (listen follows them live)");

  withApiKeyOptions(
    events
      .command('list')
      .description("the events of the key's environment, newest first")
      .option('--type <type>', 'only this event type, e.g. transfer.completed')
      .option('--account <acct>', "only this connected account's events")
      .option('--limit <n>', 'at most this many (1-100)', '20')
      .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
      .option('--json', 'print only JSON'),
  ).action(async (options: ListOptions) => {
    const { client } = apiClientFrom(options);
    const query = new URLSearchParams({ limit: options.limit });
    if (options.type !== undefined) query.set('type', options.type);
    if (options.account !== undefined) query.set('account_id', options.account);
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    const page = await client.call<EventPage>('GET', `/api/v1/events?${query.toString()}`);
    if (options.json) return printJson(page.data);
    printTable(page.data as unknown as Record<string, unknown>[], ['created_at', 'type', 'id', 'account_id']);
    if (page.next_cursor) printLines([`(more: --cursor ${page.next_cursor})`]);
  });

  withApiKeyOptions(
    events
      .command('redeliver')
      .description('queue an event again: to one webhook endpoint, or to every enabled endpoint subscribed to its type')
      .argument('<event_id>', 'evt_…')
      .option('--endpoint <we>', 'only this endpoint, we_…')
      .option(...idempotencyKeyOption)
      .option('--json', 'print only JSON'),
  ).action(async (eventId: string, options: ApiKeyOptions & { endpoint?: string; idempotencyKey?: string; json?: boolean }) => {
    const { client } = apiClientFrom(options);
    const body = options.endpoint === undefined ? {} : { endpoint_id: options.endpoint };
    // With a key, a request left unanswered is retried without queuing the event twice.
    const queued = await client.call<{ data: Delivery[] }>('POST', `/api/v1/events/${encodeURIComponent(eventId)}/redeliver`, body, keyOf(options));
    if (options.json) return printJson(queued.data);
    if (queued.data.length === 0) return printLines([
        `Nothing queued: no enabled webhook endpoint is subscribed to the type of ${eventId}.`,
        'Register one with POST /api/v1/webhooks (or Dashboard › Settings › Webhooks), or watch events locally with `pik listen --forward-to URL`.',
      ]);
    printLines([`Queued ${queued.data.length} ${queued.data.length === 1 ? 'delivery' : 'deliveries'} of ${eventId}:`]);
    printTable(queued.data as unknown as Record<string, unknown>[], ['id', 'endpoint_id', 'status']);
  });
}
