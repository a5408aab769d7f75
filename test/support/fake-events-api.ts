// A stand-in for the PIK server's events API (GET /api/v1/events, POST /api/v1/events/{id}/redeliver) as
// docs/webhooks.md describes it, so `pik listen` and `pik events` are tested fast and deterministically; and a check
// of a delivery's signatures by both schemes.
import { createHmac } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { generateApiKey } from '../../src/lib/api-key.ts';
import { newId } from '../../src/lib/ids.ts';

export interface FakeEvent {
  id: string;
  object: 'event';
  type: string;
  created_at: string;
  environment: 'sandbox';
  account_id: string;
  data: Record<string, unknown>;
}

export const fakeEventTypes = ['account.created', 'transfer.completed', 'payout.completed', 'payout.failed', 'webhook.test'];

export interface FakeEventsApi {
  url: string;
  /** The sandbox key it accepts. */
  key: string;
  /** Oldest first. */
  events: FakeEvent[];
  /** Every request, as "METHOD path?query". */
  requests: string[];
  /** What the redeliver route received. */
  redeliveries: { eventId: string; body: unknown; idempotencyKey: string | undefined }[];
  /** While true, every request gets 503 (a server restarting). */
  isDown: boolean;
  /** Records events of these types now, in this order, one millisecond apart. */
  add(...types: string[]): FakeEvent[];
  close(): Promise<void>;
}

const cursorOf = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');

function send(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function fail(response: http.ServerResponse, status: number, code: string, message: string, detail?: unknown): void {
  send(response, status, { error: { code, message, ...(detail === undefined ? {} : { detail }), request_id: 'req_fake' } });
}

export async function startFakeEventsApi(): Promise<FakeEventsApi> {
  const api: FakeEventsApi = {
    url: '',
    key: generateApiKey('sandbox').secret,
    events: [],
    requests: [],
    redeliveries: [],
    isDown: false,
    add(...types) {
      const base = Date.now();
      const added = types.map((type, i): FakeEvent => ({
        id: newId('event'),
        object: 'event',
        type,
        created_at: new Date(base + i).toISOString(),
        environment: 'sandbox',
        account_id: 'acct_01kfakeaccount000000000000',
        data: { n: api.events.length + i },
      }));
      api.events.push(...added);
      return added;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const server = http.createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += String(chunk)));
    request.on('end', () => {
      api.requests.push(`${request.method} ${request.url}`);
      if (api.isDown) return fail(response, 503, 'SERVICE_UNAVAILABLE', 'restarting');
      if (request.headers.authorization !== `Bearer ${api.key}`) return fail(response, 401, 'API_KEY_INVALID', 'The API key is not valid.');
      const url = new URL(request.url ?? '/', 'http://fake');
      if (request.method === 'GET' && url.pathname === '/api/v1/events') {
        const type = url.searchParams.get('type');
        if (type !== null && !fakeEventTypes.includes(type)) {
          return fail(response, 400, 'UNKNOWN_EVENT_TYPE', `Unknown event type: ${type}.`, { valid: fakeEventTypes });
        }
        const limit = Number(url.searchParams.get('limit') ?? 20);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) return fail(response, 400, 'VALIDATION_FAILED', 'limit must be 1-100');
        const cursor = url.searchParams.get('cursor');
        const after = cursor === null ? undefined : Buffer.from(cursor, 'base64url').toString('utf8');
        const matching = api.events
          .filter((e) => (type === null || e.type === type) && (after === undefined || e.id < after))
          .sort((a, b) => (a.id < b.id ? 1 : -1));
        const data = matching.slice(0, limit);
        const last = data.at(-1);
        return send(response, 200, { object: 'list', data, next_cursor: matching.length > limit && last ? cursorOf(last.id) : null, has_more: matching.length > limit });
      }
      const redeliver = /^\/api\/v1\/events\/([^/]+)\/redeliver$/.exec(url.pathname);
      if (request.method === 'POST' && redeliver) {
        const eventId = decodeURIComponent(redeliver[1] ?? '');
        const event = api.events.find((e) => e.id === eventId);
        if (!event) return fail(response, 404, 'EVENT_NOT_FOUND', 'No such event.');
        const body = JSON.parse(raw || '{}') as { endpoint_id?: string };
        api.redeliveries.push({ eventId, body, idempotencyKey: request.headers['idempotency-key'] as string | undefined });
        const endpoints = body.endpoint_id === undefined ? ['we_01kfakeendpointa0000000000', 'we_01kfakeendpointb0000000000'] : [body.endpoint_id];
        const data = endpoints.map((endpointId, i) => ({
          id: `wd_01kfakedelivery00000000000${i}`,
          object: 'webhook_delivery',
          endpoint_id: endpointId,
          event_id: event.id,
          event_type: event.type,
          status: 'pending',
          attempt_count: 0,
          next_attempt_at: new Date().toISOString(),
          created_at: new Date().toISOString(),
          delivered_at: null,
          attempts: [],
        }));
        return send(response, 202, { object: 'list', data });
      }
      fail(response, 404, 'NOT_FOUND', 'No such route.');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}

/** Throws unless both schemes verify: Standard Webhooks by its own package, PIK-Signature-V2 by hand (docs/webhooks.md). */
export function verifyDelivery(secret: string, delivery: { body: string; headers: IncomingHttpHeaders }): void {
  new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>);
  const header = String(delivery.headers['pik-signature-v2'] ?? '');
  const t = /(?:^|,)t=(\d+)/.exec(header)?.[1];
  const expected = createHmac('sha256', secret).update(`${t}.${delivery.body}`).digest('hex');
  if (t === undefined || !header.split(',').includes(`v1=${expected}`)) throw new Error(`PIK-Signature-V2 does not verify: ${header}`);
  if (Math.abs(Number(t) - Date.now() / 1000) > 300) throw new Error('PIK-Signature-V2 timestamp is not recent');
}
