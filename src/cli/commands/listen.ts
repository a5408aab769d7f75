// pik listen: a platform's sandbox events forwarded to a local URL, signed as webhooks deliver them — a webhook
// endpoint on the developer's machine without registering one, and without the server reaching into it.
import type { Command } from 'commander';
import { generateWebhookSecret, signDelivery } from '../../lib/webhook-signature.ts';
import { CliError, type ApiClient } from '../client.ts';
import { EventFollower, type EventPage, type PlatformEvent } from '../event-follower.ts';
import { apiClientFrom, withApiKeyOptions, type ApiKeyOptions } from './api-key-options.ts';

/** As the webhook worker's default (PIK_WEBHOOK_TIMEOUT_MS): a receiver that works with listen works when deployed. */
const forwardTimeoutMs = 10_000;
const pageLimit = 100;

interface ListenOptions extends ApiKeyOptions {
  forwardTo: string;
  events?: string;
  intervalMs: string;
}

export function registerListenCommand(program: Command): void {
  withApiKeyOptions(
    program
      .command('listen')
      .description(
        "forward a platform's sandbox events to a local URL as webhooks deliver them, while it runs (Ctrl-C stops it). " +
          'Each POST is signed with a secret printed at start (PIK-Signature, PIK-Signature-V2 and the Standard Webhooks ' +
          'headers); its webhook-id is the event id. Only events created after the start are forwarded, oldest first.',
      )
      .requiredOption('--forward-to <url>', 'where to POST each event, e.g. http://localhost:3000/webhooks')
      .option('--events <types>', 'only these event types, comma-separated, e.g. transfer.completed,payout.failed (default: all)')
      .option('--interval-ms <ms>', 'how often to ask the events API for new events', '1000'),
  ).action(async (options: ListenOptions) => {
    const { client, environment } = apiClientFrom(options);
    if (environment !== 'sandbox') {
      throw new CliError(
        'pik listen is for sandbox development: use a sandbox key (pik_test_…). Production events reach your servers through webhook endpoints (POST /api/v1/webhooks).',
      );
    }
    const target = forwardUrl(options.forwardTo);
    const intervalMs = Number(options.intervalMs);
    if (!Number.isInteger(intervalMs) || intervalMs < 10) throw new CliError('--interval-ms must be a whole number of milliseconds, at least 10');
    const types = options.events === undefined ? undefined : await checkedEventTypes(client, options.events);
    await listen(client, target, types, intervalMs);
  });
}

function forwardUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--forward-to must be a URL, e.g. http://localhost:3000/webhooks`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError('--forward-to must be an http:// or https:// URL');
  return url;
}

/** The types asked for, each checked by the server (the catalogue lives there): a typo fails now, not silently later. */
async function checkedEventTypes(client: ApiClient, list: string): Promise<Set<string> | undefined> {
  const names = [...new Set(list.split(',').map((name) => name.trim()).filter((name) => name !== ''))];
  if (names.length === 0) throw new CliError('--events needs at least one event type');
  if (names.includes('*')) return undefined;
  for (const name of names) {
    try {
      await client.call('GET', `/api/v1/events?limit=1&type=${encodeURIComponent(name)}`);
    } catch (error) {
      if (error instanceof CliError && error.code === 'UNKNOWN_EVENT_TYPE') {
        const valid = (error.detail as { valid?: unknown } | undefined)?.valid;
        throw new CliError(`--events: "${name}" is not an event type.${Array.isArray(valid) ? ` The types are: ${valid.join(', ')}.` : ''}`);
      }
      throw error;
    }
  }
  return new Set(names);
}

async function listen(client: ApiClient, target: URL, types: Set<string> | undefined, intervalMs: number): Promise<void> {
  const stop = new AbortController();
  // Once: a second Ctrl-C ends the process at once, should stopping ever hang.
  const onSignal = (): void => stop.abort(new Stopped());
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  try {
    const follower = new EventFollower((cursor) =>
      client.call<EventPage>('GET', `/api/v1/events?limit=${pageLimit}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, undefined, {
        signal: stop.signal,
      }),
    );
    await follower.start();
    const secret = generateWebhookSecret();
    say(`Forwarding ${types === undefined ? 'every event type' : [...types].join(', ')} to ${target.href}. Ctrl-C to stop.`);
    say(`Ready. Signing secret: ${secret} (use it to verify, as in docs/webhooks.md)`);

    let isOutage = false;
    while (!stop.signal.aborted) {
      let events: PlatformEvent[] = [];
      try {
        events = await follower.poll();
        if (isOutage) process.stderr.write('pik listen: the events API answers again.\n');
        isOutage = false;
      } catch (error) {
        if (stop.signal.aborted) break;
        // A server restarting or a moment over the rate limit: keep listening. A revoked key is final.
        if (!(error instanceof CliError && error.isTransient)) throw error;
        if (!isOutage) process.stderr.write(`pik listen: ${error.message.split('\n')[0]} Still trying…\n`);
        isOutage = true;
      }
      for (const event of events) {
        if (stop.signal.aborted) break;
        if (types !== undefined && !types.has(event.type)) continue;
        const outcome = await forward(event, target, secret, stop.signal);
        if (stop.signal.aborted) break;
        say(`${secondsOf(event.created_at)}  ${event.type}  ${event.id}  → ${outcome}`);
      }
      await sleep(intervalMs, stop.signal);
    }
  } catch (error) {
    if (!(error instanceof Stopped)) throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  say('Stopped.');
}

class Stopped extends Error {}

/**
 * One POST as the webhook worker makes it: the same body and headers (src/lib/webhook-signature.ts), no redirects
 * followed. The event id is the webhook-id: stable for the event, as a delivery id is for a deployed endpoint.
 */
async function forward(event: PlatformEvent, target: URL, secret: string, stop: AbortSignal): Promise<string> {
  const body = JSON.stringify({
    event_id: event.id,
    object: 'event',
    type: event.type,
    created_at: event.created_at,
    environment: event.environment,
    account_id: event.account_id,
    data: event.data,
  });
  const signature = signDelivery({ id: event.id, timestampSeconds: Math.floor(Date.now() / 1000), body, secrets: [secret] });
  const timeout = AbortSignal.timeout(forwardTimeoutMs);
  try {
    const response = await fetch(target, {
      method: 'POST',
      headers: { ...signature, 'content-type': 'application/json', 'user-agent': 'PIK-Webhooks/1.0 (pik listen)' },
      body,
      redirect: 'manual',
      signal: AbortSignal.any([stop, timeout]),
    });
    // Read to the end rather than cancelled: the connection then stays open for the next event.
    if (response.body) for await (const _chunk of response.body);
    return String(response.status);
  } catch (error) {
    if (timeout.aborted) return `no answer within ${forwardTimeoutMs / 1000} s`;
    return describeFailure(error);
  }
}

function describeFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    default:
      return `failed: ${cause?.message ?? (error instanceof Error ? error.message : String(error))}`;
  }
}

/** `2026-12-01T22:10:00.123Z` → `2026-12-01T22:10:00Z`: whole seconds are enough to read a log by. */
function secondsOf(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
