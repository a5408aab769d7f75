// Webhooks end to end: endpoints, signed deliveries judged by the standardwebhooks package and by hand, retries with
// one webhook-id, undelivered then redelivered, rotation, test events, auto-disable, the resolved-address check.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { LookupFunction } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { loadConfig, type WebhookConfig } from '../src/config.ts';
import { WebhookTransport } from '../src/domain/webhooks/transport.ts';
import { withAttempts } from '../src/domain/webhooks/event-log.ts';
import { eventTypes } from '../src/domain/event-types.ts';
import { createTestConnectedAccount, createTestPlatform, startTestApp, type TestContext, type TestPlatform } from './support/context.ts';
import { eventually, startReceiver, type Receiver, type Received } from './support/webhook-receiver.ts';

const fast: WebhookConfig = { ...loadConfig({}).webhooks, allowSandboxLoopback: true, timeoutMs: 1500, retryScheduleMs: [150, 150], pollMs: 50 };

// A host name only this test's resolver knows: it answers 127.0.0.1, as a rebinding attacker's DNS would.
const rebinding: LookupFunction = (hostname, options, callback) => {
  const answer = hostname === 'hooks.rebind.example' ? '127.0.0.1' : undefined;
  const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
  if (!answer) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
  if (all) return (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: answer, family: 4 }]);
  return callback(null, answer, 4);
};

let ctx: TestContext;
let receiver: Receiver;
let platform: TestPlatform;

before(async () => {
  ctx = await startTestApp(
    { webhooks: fast },
    { webhookTransport: (_environment, allowLoopback) => new WebhookTransport({ timeoutMs: fast.timeoutMs, allowLoopback, lookup: rebinding }) },
  );
  receiver = await startReceiver();
  platform = await createTestPlatform(ctx);
});
after(async () => {
  await ctx.close();
  await receiver.close();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function createEndpoint(p: TestPlatform, body: Json, environment: 'sandbox' | 'production' = 'sandbox'): Promise<Json> {
  const created = await ctx.call('POST', '/api/v1/webhooks', { key: p.keys[environment], body });
  assert.equal(created.status, 201, created.raw);
  return created.body;
}

/** The deliveries of one endpoint, as the API lists them. */
async function deliveries(p: TestPlatform, endpointId: string, environment: 'sandbox' | 'production' = 'sandbox'): Promise<Json[]> {
  const listed = await ctx.call('GET', `/api/v1/webhooks/${endpointId}/deliveries?limit=100`, { key: p.keys[environment] });
  assert.equal(listed.status, 200, listed.raw);
  return listed.body.data;
}

function hex(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

/** Every signature scheme of one request, checked by hand against one secret. */
function signedBy(request: Received, secret: string): { plain: boolean; v2: boolean } {
  const plain = String(request.headers['pik-signature']).split(' ').includes(hex(secret, request.body));
  const v2Header = String(request.headers['pik-signature-v2']);
  const t = /^t=(\d+),/.exec(v2Header)?.[1];
  const v2 = t !== undefined && t === request.headers['pik-timestamp'] && v2Header.split(',').includes(`v1=${hex(secret, `${t}.${request.body}`)}`);
  return { plain, v2 };
}

function standardVerifies(request: Received, secret: string): boolean {
  try {
    new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

describe('webhook endpoints', () => {
  it('create answers 201 with we_ id, enabled, and the secret once; read, list, change and delete never show it', async () => {
    const p = await createTestPlatform(ctx);
    const created = await createEndpoint(p, { url: 'https://hooks.example.com/pik', events: ['transfer.completed', 'payout.failed'], description: 'Main' });
    assert.match(created.id, /^we_[0-9a-z]{26}$/);
    assert.equal(created.object, 'webhook_endpoint');
    assert.equal(created.status, 'enabled');
    assert.equal(created.environment, 'sandbox');
    assert.deepEqual(created.events, ['transfer.completed', 'payout.failed']);
    assert.match(created.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(created.secret.slice(6), 'base64').length, 32);

    const read = await ctx.call('GET', `/api/v1/webhooks/${created.id}`, { key: p.keys.sandbox });
    assert.equal(read.status, 200);
    assert.equal(read.body.secret, undefined);
    assert.equal(read.body.url, 'https://hooks.example.com/pik');
    assert.ok(!read.raw.includes(created.secret.slice(6, 20)), 'the secret is never read back');

    const list = await ctx.call('GET', '/api/v1/webhooks', { key: p.keys.sandbox });
    assert.deepEqual(list.body.data.map((e: Json) => e.id), [created.id]);
    assert.equal(list.body.next_cursor, null);

    const changed = await ctx.call('PATCH', `/api/v1/webhooks/${created.id}`, { key: p.keys.sandbox, body: { events: ['*'], description: null, status: 'disabled' } });
    assert.equal(changed.status, 200, changed.raw);
    assert.deepEqual([changed.body.events, changed.body.description, changed.body.status, changed.body.disabled_reason], [['*'], null, 'disabled', 'platform']);
    const enabled = await ctx.call('PATCH', `/api/v1/webhooks/${created.id}`, { key: p.keys.sandbox, body: { status: 'enabled', url: 'https://other.example.com/x' } });
    assert.deepEqual([enabled.body.status, enabled.body.disabled_reason, enabled.body.url], ['enabled', null, 'https://other.example.com/x']);

    const deleted = await ctx.call('DELETE', `/api/v1/webhooks/${created.id}`, { key: p.keys.sandbox });
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.deleted, true);
    assert.equal((await ctx.call('GET', `/api/v1/webhooks/${created.id}`, { key: p.keys.sandbox })).body.error.code, 'WEBHOOK_ENDPOINT_NOT_FOUND');
    assert.equal((await ctx.call('DELETE', `/api/v1/webhooks/${created.id}`, { key: p.keys.sandbox })).status, 404);
  });

  it('bad input on every route is a 400 naming the field', async () => {
    const p = await createTestPlatform(ctx);
    const key = p.keys.sandbox;
    const endpoint = await createEndpoint(p, { url: 'https://hooks.example.com/a', events: ['*'] });
    const cases: [string, string, unknown, string, string][] = [
      ['POST', '/api/v1/webhooks', { events: ['*'] }, 'INVALID_REQUEST', 'url'],
      ['POST', '/api/v1/webhooks', { url: 42, events: ['*'] }, 'INVALID_REQUEST', 'url'],
      ['POST', '/api/v1/webhooks', { url: 'https://10.0.0.1/x', events: ['*'] }, 'INVALID_WEBHOOK_URL', 'url'],
      ['POST', '/api/v1/webhooks', { url: 'ftp://hooks.example.com/x', events: ['*'] }, 'INVALID_WEBHOOK_URL', 'url'],
      ['POST', '/api/v1/webhooks', { url: 'https://hooks.example.com/x' }, 'INVALID_REQUEST', 'events'],
      ['POST', '/api/v1/webhooks', { url: 'https://hooks.example.com/x', events: [] }, 'INVALID_REQUEST', 'events'],
      ['POST', '/api/v1/webhooks', { url: 'https://hooks.example.com/x', events: ['*', 'payout.failed'] }, 'INVALID_REQUEST', 'events'],
      ['POST', '/api/v1/webhooks', { url: 'https://hooks.example.com/x', events: ['transfer.done'] }, 'UNKNOWN_EVENT_TYPE', 'events'],
      ['POST', '/api/v1/webhooks', { url: 'https://hooks.example.com/x', events: [7] }, 'INVALID_REQUEST', 'events'],
      ['POST', '/api/v1/webhooks', { url: 'https://hooks.example.com/x', events: ['*'], description: 'x'.repeat(501) }, 'INVALID_REQUEST', 'description'],
      ['POST', '/api/v1/webhooks', { url: 'https://hooks.example.com/x', events: ['*'], secret: 'mine' }, 'INVALID_REQUEST', 'secret'],
      ['PATCH', `/api/v1/webhooks/${endpoint.id}`, { status: 'paused' }, 'INVALID_REQUEST', 'status'],
      ['PATCH', `/api/v1/webhooks/${endpoint.id}`, { url: 'http://hooks.example.com/x' }, 'INVALID_WEBHOOK_URL', 'url'],
      ['PATCH', `/api/v1/webhooks/${endpoint.id}`, { events: ['nope'] }, 'UNKNOWN_EVENT_TYPE', 'events'],
      ['PATCH', `/api/v1/webhooks/${endpoint.id}`, { id: 'we_x' }, 'INVALID_REQUEST', 'id'],
      ['POST', `/api/v1/webhooks/${endpoint.id}/rotate-secret`, { expires_in_seconds: -1 }, 'INVALID_REQUEST', 'expires_in_seconds'],
      ['POST', `/api/v1/webhooks/${endpoint.id}/rotate-secret`, { expires_in_seconds: 604_801 }, 'INVALID_REQUEST', 'expires_in_seconds'],
      ['POST', `/api/v1/webhooks/${endpoint.id}/rotate-secret`, { expires_in_seconds: '60' }, 'INVALID_REQUEST', 'expires_in_seconds'],
      ['POST', `/api/v1/webhooks/${endpoint.id}/rotate-secret`, { expires_in: 60 }, 'INVALID_REQUEST', 'expires_in'],
      ['POST', `/api/v1/webhooks/${endpoint.id}/test`, { type: 'x' }, 'INVALID_REQUEST', 'type'],
      ['GET', `/api/v1/webhooks/${endpoint.id}/deliveries?limit=0`, undefined, 'INVALID_REQUEST', 'limit'],
      ['GET', `/api/v1/webhooks/${endpoint.id}/deliveries?cursor=bad`, undefined, 'INVALID_CURSOR', ''],
      ['GET', '/api/v1/webhooks?limit=101', undefined, 'INVALID_REQUEST', 'limit'],
      ['GET', '/api/v1/events?type=transfer.done', undefined, 'UNKNOWN_EVENT_TYPE', 'type'],
      ['GET', '/api/v1/events?account_id=nope', undefined, 'INVALID_REQUEST', 'account_id'],
      ['GET', '/api/v1/events?created_from=yesterday', undefined, 'INVALID_REQUEST', 'created_from'],
      ['GET', '/api/v1/events?created_to=2026-13-45', undefined, 'INVALID_REQUEST', 'created_to'],
      ['GET', '/api/v1/events?created_from=2026-02-30', undefined, 'INVALID_REQUEST', 'created_from'],
      ['GET', '/api/v1/events?colour=red', undefined, 'INVALID_REQUEST', 'colour'],
      ['GET', '/api/v1/events?cursor=bad', undefined, 'INVALID_CURSOR', ''],
      ['POST', '/api/v1/events/evt_01m8g5hycd5qba505sf93e83c5/redeliver', { endpoint_id: 5 }, 'INVALID_REQUEST', 'endpoint_id'],
      ['POST', '/api/v1/events/evt_01m8g5hycd5qba505sf93e83c5/redeliver', { to: 'x' }, 'INVALID_REQUEST', 'to'],
    ];
    for (const [method, url, body, code, field] of cases) {
      const answered = await ctx.call(method, url, { key, body });
      assert.equal(answered.status, 400, `${method} ${url} ${JSON.stringify(body)}: ${answered.raw}`);
      assert.equal(answered.body.error.code, code, `${method} ${url} ${JSON.stringify(body)}: ${answered.raw}`);
      if (field) assert.equal(answered.body.error.detail?.field, field, `${method} ${url} ${JSON.stringify(body)}: ${answered.raw}`);
    }
    const unknown = await ctx.call('POST', '/api/v1/webhooks', { key, body: { url: 'https://hooks.example.com/x', events: ['transfer.done', 'payout.failed'] } });
    assert.deepEqual(unknown.body.error.detail.unknown, ['transfer.done']);
    assert.deepEqual(unknown.body.error.detail.valid, [...eventTypes]);
    const refused = await ctx.call('POST', '/api/v1/webhooks', { key, body: { url: 'https://169.254.169.254/latest', events: ['*'] } });
    assert.match(refused.body.error.detail.reason, /metadata|link-local/);
  });

  it('production: https and public addresses only, and no loopback even when sandbox may use it', async () => {
    const key = platform.keys.production;
    for (const url of ['http://hooks.example.com/x', 'http://localhost:3000/x', 'https://127.0.0.1/x', 'https://[::ffff:10.0.0.1]/x', 'https://192.168.1.10/x']) {
      const answered = await ctx.call('POST', '/api/v1/webhooks', { key, body: { url, events: ['*'] } });
      assert.equal(answered.body.error?.code, 'INVALID_WEBHOOK_URL', `${url}: ${answered.raw}`);
    }
    const sandbox = await ctx.call('POST', '/api/v1/webhooks', { key: platform.keys.sandbox, body: { url: 'http://localhost:3000/x', events: ['*'] } });
    assert.equal(sandbox.status, 201, 'sandbox allows loopback when PIK_WEBHOOK_ALLOW_LOOPBACK=sandbox');
    await ctx.call('DELETE', `/api/v1/webhooks/${sandbox.body.id}`, { key: platform.keys.sandbox });
  });

  it('at most 16 endpoints per platform and environment, even when created at once', async () => {
    const p = await createTestPlatform(ctx);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ctx.call('POST', '/api/v1/webhooks', { key: p.keys.sandbox, body: { url: `https://hooks.example.com/${i}`, events: ['*'] } })),
    );
    assert.equal(answers.filter((a) => a.status === 201).length, 16);
    assert.ok(answers.filter((a) => a.status !== 201).every((a) => a.status === 409 && a.body.error.code === 'WEBHOOK_ENDPOINT_LIMIT'));
    assert.equal((await createEndpoint(p, { url: 'https://hooks.example.com/p', events: ['*'] }, 'production')).status, 'enabled', 'production counts separately');
  });
});

describe('delivery', () => {
  it('an event reaches each subscribed endpoint, signed so that standardwebhooks and a hand check both verify it', async () => {
    const p = await createTestPlatform(ctx);
    const all = await createEndpoint(p, { url: `${receiver.url}?to=all`, events: ['*'] });
    const other = await createEndpoint(p, { url: `${receiver.url}?to=payouts`, events: ['payout.completed'] });
    const account = await createTestConnectedAccount(ctx, p);
    const [request] = await receiver.waitFor(1, (r) => r.body.includes(account));
    const got = request as Received;
    const body = JSON.parse(got.body);
    assert.deepEqual(Object.keys(body).sort(), ['account_id', 'created_at', 'data', 'environment', 'event_id', 'object', 'type']);
    assert.equal(body.type, 'account.created');
    assert.equal(body.object, 'event');
    assert.equal(body.environment, 'sandbox');
    assert.equal(body.account_id, account);
    assert.equal(body.data.account_id, account);
    assert.match(String(got.headers['webhook-id']), /^wd_/);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.ok(standardVerifies(got, all.secret), 'standardwebhooks verifies the delivery unmodified');
    assert.deepEqual(signedBy(got, all.secret), { plain: true, v2: true });
    assert.ok(!standardVerifies(got, other.secret), 'another endpoint’s secret does not verify it');
    assert.ok(!standardVerifies({ ...got, body: got.body.replace('sandbox', 'sandbaz') }, all.secret), 'a changed body fails');

    const event = await ctx.call('GET', `/api/v1/events/${body.event_id}`, { key: p.keys.sandbox });
    assert.equal(event.status, 200);
    const { id, ...rest } = event.body;
    assert.deepEqual({ event_id: id, ...rest }, body, 'the events API shows the event as it was delivered');
    const [delivery] = await eventually(async () => {
      const listed = await deliveries(p, all.id);
      return listed[0]?.status === 'delivered' ? listed : undefined;
    });
    assert.equal(delivery?.id, got.headers['webhook-id']);
    // One attempt, or more when a loaded machine let the 1.5 s deadline pass before the answer (at least once): then
    // every attempt before the last got no answer in time, and the last is the 200 — never a 2xx followed by another.
    const attempts = delivery?.attempts as Json[];
    assert.ok(attempts.length >= 1);
    for (const earlier of attempts.slice(0, -1)) assert.notEqual(earlier.status_code, 200, 'a delivered attempt is not sent again');
    assert.equal(attempts.at(-1)?.status_code, 200);
    assert.equal(attempts.at(-1)?.response_body, 'ok');
    assert.deepEqual(await deliveries(p, other.id), [], 'an endpoint that did not subscribe gets nothing');
  });

  it('a receiver failing twice then answering gets three attempts with one webhook-id, each recorded', async () => {
    const p = await createTestPlatform(ctx);
    const endpoint = await createEndpoint(p, { url: `${receiver.url}?case=retry`, events: ['account.created'] });
    let mine = 0;
    receiver.behave((_, r) => (r.url.endsWith('case=retry') && ++mine <= 2 ? { status: 503, body: 'busy' } : { status: 200, body: 'ok' }));
    const account = await createTestConnectedAccount(ctx, p);
    const requests = await receiver.waitFor(3, (r) => r.body.includes(account));
    receiver.behave(() => ({ status: 200, body: 'ok' }));
    assert.equal(new Set(requests.map((r) => r.headers['webhook-id'])).size, 1, 'the same webhook-id on every retry');
    for (const r of requests) assert.ok(standardVerifies(r, endpoint.secret));
    const gaps = requests.slice(1).map((r, i) => r.at - (requests[i] as Received).at);
    assert.ok(gaps.every((g) => g >= 140), `retries wait for the schedule (150 ms): ${gaps.join(', ')}`);
    const delivery = await eventually(async () => (await deliveries(p, endpoint.id)).find((d) => d.status === 'delivered'));
    assert.deepEqual(delivery.attempts.map((a: Json) => a.status_code), [503, 503, 200]);
    assert.deepEqual(delivery.attempts.map((a: Json) => a.number), [1, 2, 3]);
    assert.equal(delivery.attempts[0].response_body, 'busy');
    assert.ok(delivery.attempts[0].next_attempt_at !== null && delivery.attempts[2].next_attempt_at === null);
  });

  it('a delivery read just before its attempt was recorded is shown with the attempts it counts, not the newer one', async () => {
    const p = await createTestPlatform(ctx);
    const endpoint = await createEndpoint(p, { url: `${receiver.url}?case=snapshot`, events: ['account.created'] });
    await createTestConnectedAccount(ctx, p);
    const db = ctx.services.db.env('sandbox');
    const row = await eventually(async () => db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpoint.id).where('status', '=', 'delivered').executeTakeFirst());
    // The row as a reader saw it before the worker's commit: pending, no attempt yet; the attempts are read after it.
    const [stale] = await withAttempts(db, [{ ...row, status: 'pending', attempt_count: 0, delivered_at: null }]);
    assert.deepEqual(stale?.attempts, []);
    const [current] = await withAttempts(db, [row]);
    assert.deepEqual(current?.attempts.map((a) => a.number), [1]);
  });

  it('a receiver that never answers: undelivered after the schedule; redelivered with the same webhook-id once it answers', async () => {
    const p = await createTestPlatform(ctx);
    const endpoint = await createEndpoint(p, { url: `${receiver.url}?case=hang`, events: ['account.created'] });
    receiver.behave((_, r) => (r.url.endsWith('case=hang') ? 'hang' : { status: 200 }));
    const account = await createTestConnectedAccount(ctx, p);
    const undelivered = await eventually(async () => (await deliveries(p, endpoint.id)).find((d) => d.status === 'undelivered'), 15_000, 'undelivered');
    assert.equal(undelivered.attempts.length, 3, '1 attempt + 2 retries');
    assert.ok(undelivered.attempts.every((a: Json) => a.status_code === null && /timed out/.test(a.error)), JSON.stringify(undelivered.attempts));
    receiver.behave(() => ({ status: 204 }));

    const redelivered = await ctx.call('POST', `/api/v1/events/${undelivered.event_id}/redeliver`, { key: p.keys.sandbox, body: {} });
    assert.equal(redelivered.status, 202, redelivered.raw);
    assert.deepEqual(redelivered.body.data.map((d: Json) => [d.id, d.status]), [[undelivered.id, 'pending']]);
    const done = await eventually(async () => (await deliveries(p, endpoint.id)).find((d) => d.status === 'delivered'));
    assert.equal(done.id, undelivered.id);
    assert.equal(done.attempts.at(-1).status_code, 204);
    const last = receiver.received.filter((r) => r.body.includes(account)).at(-1) as Received;
    assert.equal(last.headers['webhook-id'], undelivered.id);
  });

  it("a receiver's Retry-After longer than the schedule is honoured", async () => {
    const p = await createTestPlatform(ctx);
    const endpoint = await createEndpoint(p, { url: `${receiver.url}?case=retry-after`, events: ['account.created'] });
    let answered = 0;
    receiver.behave((_, r) => (r.url.endsWith('case=retry-after') && ++answered === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    const account = await createTestConnectedAccount(ctx, p);
    const [first, second] = (await receiver.waitFor(2, (r) => r.body.includes(account))) as [Received, Received];
    receiver.behave(() => ({ status: 200 }));
    assert.ok(second.at - first.at >= 950, `the retry waited for Retry-After (1 s), not the schedule (150 ms): ${second.at - first.at} ms`);
    const delivery = await eventually(async () => (await deliveries(p, endpoint.id)).find((d) => d.status === 'delivered'));
    assert.deepEqual(delivery.attempts.map((a: Json) => a.status_code), [429, 200]);
  });

  it('a dead endpoint holds at most 8 attempts in flight, and the endpoint beside it is not held up', async () => {
    const p = await createTestPlatform(ctx);
    const slow = `/hooks?case=slow-${p.id}`;
    await createEndpoint(p, { url: `${receiver.url.replace('/hooks', '')}${slow}`, events: ['account.created'] });
    await createEndpoint(p, { url: `${receiver.url}?case=beside-${p.id}`, events: ['account.created'] });
    let most = 0;
    receiver.behave((_, r) => {
      if (r.url !== slow) return { status: 200 };
      most = Math.max(most, receiver.hanging(slow) + 1);
      return 'hang';
    });
    const accounts = await Promise.all(Array.from({ length: 14 }, () => createTestConnectedAccount(ctx, p)));
    // At least once: under load an answer can come after the deadline and the delivery is sent again, so count events.
    const beside = await eventually(async () => {
      const seen = new Set(receiver.received.filter((r) => r.url.endsWith(`case=beside-${p.id}`)).map((r) => JSON.parse(r.body).account_id as string));
      return seen.size === accounts.length ? seen : undefined;
    });
    assert.deepEqual([...beside].sort(), [...accounts].sort(), 'every event reached the healthy endpoint');
    assert.ok(most >= 1 && most <= 8, `at most 8 attempts to the dead endpoint at once, saw ${most}`);
    receiver.behave(() => ({ status: 200 }));
  });

  it('an endpoint that keeps answering 2xx earns more than 8 attempts in flight (one more per success, at most 32)', async () => {
    const p = await createTestPlatform(ctx);
    const path = `/hooks?case=ramp-${p.id}`;
    await createEndpoint(p, { url: `${receiver.url.replace('/hooks', '')}${path}`, events: ['account.created'] });
    let answered = 0;
    let most = 0;
    receiver.behave((_, r) => {
      if (r.url !== path) return { status: 200 };
      if (answered < 40) {
        answered++;
        return { status: 200 };
      }
      most = Math.max(most, receiver.hanging(path) + 1);
      return 'hang';
    });
    // 40 successes first: the endpoint's slots grow from 8 towards 32.
    await Promise.all(Array.from({ length: 40 }, () => createTestConnectedAccount(ctx, p)));
    await eventually(async () => (answered >= 40 ? true : undefined));
    // Then 30 deliveries that hang: as many are sent at once as the endpoint has earned.
    await Promise.all(Array.from({ length: 30 }, () => createTestConnectedAccount(ctx, p)));
    await eventually(async () => (most > 8 ? true : undefined), 10_000, `more than 8 attempts in flight (saw ${most})`).catch(() => undefined);
    assert.ok(most > 8 && most <= 32, `more than the first 8, at most 32 attempts in flight at once; saw ${most}`);
    receiver.behave(() => ({ status: 200 }));
  });

  it('rotation: both secrets sign during the overlap, then only the new one', async () => {
    const p = await createTestPlatform(ctx);
    const endpoint = await createEndpoint(p, { url: `${receiver.url}?case=rotate`, events: ['account.created'] });
    const rotated = await ctx.call('POST', `/api/v1/webhooks/${endpoint.id}/rotate-secret`, { key: p.keys.sandbox, body: { expires_in_seconds: 3600 } });
    assert.equal(rotated.status, 200, rotated.raw);
    assert.notEqual(rotated.body.secret, endpoint.secret);
    assert.ok(rotated.body.secret_rotation.previous_secret_expires_at);
    const first = await createTestConnectedAccount(ctx, p);
    const [during] = (await receiver.waitFor(1, (r) => r.body.includes(first))) as [Received];
    assert.ok(standardVerifies(during, endpoint.secret) && standardVerifies(during, rotated.body.secret), 'either secret verifies');
    assert.deepEqual(signedBy(during, endpoint.secret), { plain: true, v2: true });
    assert.deepEqual(signedBy(during, rotated.body.secret), { plain: true, v2: true });
    assert.equal(String(during.headers['webhook-signature']).split(' ').length, 2);

    const now = await ctx.call('POST', `/api/v1/webhooks/${endpoint.id}/rotate-secret`, { key: p.keys.sandbox, body: { expires_in_seconds: 0 } });
    assert.equal(now.body.secret_rotation, null);
    const second = await createTestConnectedAccount(ctx, p);
    const [afterwards] = (await receiver.waitFor(1, (r) => r.body.includes(second))) as [Received];
    assert.ok(standardVerifies(afterwards, now.body.secret));
    assert.ok(!standardVerifies(afterwards, rotated.body.secret) && !standardVerifies(afterwards, endpoint.secret), 'old secrets no longer sign');
    assert.deepEqual(signedBy(afterwards, rotated.body.secret), { plain: false, v2: false });
  });

  it('a test event goes to that endpoint only, whatever it subscribes to; a disabled endpoint is refused', async () => {
    const p = await createTestPlatform(ctx);
    const target = await createEndpoint(p, { url: `${receiver.url}?case=test-target`, events: ['payout.failed'] });
    await createEndpoint(p, { url: `${receiver.url}?case=test-bystander`, events: ['*'] });
    const sent = await ctx.call('POST', `/api/v1/webhooks/${target.id}/test`, { key: p.keys.sandbox });
    assert.equal(sent.status, 202, sent.raw);
    assert.equal(sent.body.type, 'webhook.test');
    const [got] = (await receiver.waitFor(1, (r) => r.body.includes(sent.body.id))) as [Received];
    assert.ok(standardVerifies(got, target.secret));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(receiver.received.filter((r) => r.body.includes(sent.body.id)).length, 1, 'no other endpoint received it');
    await ctx.call('PATCH', `/api/v1/webhooks/${target.id}`, { key: p.keys.sandbox, body: { status: 'disabled' } });
    const refused = await ctx.call('POST', `/api/v1/webhooks/${target.id}/test`, { key: p.keys.sandbox });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'WEBHOOK_ENDPOINT_DISABLED');
  });

  it('production: a host name that resolves to 127.0.0.1 is registered, but every delivery to it is refused before connecting', async () => {
    const p = await createTestPlatform(ctx);
    const endpoint = await createEndpoint(p, { url: `https://hooks.rebind.example:${receiver.port}/hooks`, events: ['*'] }, 'production');
    const before = receiver.received.length;
    const sent = await ctx.call('POST', `/api/v1/webhooks/${endpoint.id}/test`, { key: p.keys.production });
    assert.equal(sent.status, 202);
    const delivery = await eventually(async () => (await deliveries(p, endpoint.id, 'production'))[0]?.attempts[0]);
    assert.equal(delivery.status_code, null);
    assert.match(delivery.error, /127\.0\.0\.1/);
    assert.match(delivery.error, /loopback/);
    assert.ok(!receiver.received.slice(before).some((r) => r.body.includes(sent.body.id)), 'nothing reached the receiver');
  });
});

describe('events API', () => {
  it('newest first, filtered by type, account and time, paged; x-on-behalf-of narrows to one account', async () => {
    const p = await createTestPlatform(ctx);
    const a = await createTestConnectedAccount(ctx, p);
    const b = await createTestConnectedAccount(ctx, p);
    const key = p.keys.sandbox;
    const all = await ctx.call('GET', '/api/v1/events?limit=100', { key });
    assert.equal(all.status, 200);
    const ids = all.body.data.map((e: Json) => e.id);
    assert.deepEqual([...ids].sort().reverse(), ids, 'newest first');
    assert.deepEqual(
      all.body.data.filter((e: Json) => e.type === 'account.created').map((e: Json) => e.account_id),
      [b, a],
    );
    const created = await ctx.call('GET', `/api/v1/events?type=account.created&account_id=${a}`, { key });
    assert.deepEqual(created.body.data.map((e: Json) => e.account_id), [a]);

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await ctx.call('GET', `/api/v1/events?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { key });
      paged.push(...page.body.data.map((e: Json) => e.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    assert.deepEqual(paged, ids);

    const future = await ctx.call('GET', `/api/v1/events?created_from=${new Date(Date.now() + 60_000).toISOString()}`, { key });
    assert.deepEqual(future.body.data, []);
    const past = await ctx.call('GET', `/api/v1/events?created_to=2000-01-01`, { key });
    assert.deepEqual(past.body.data, []);
    // Read like every other list's instants: a date-time without an offset is UTC, a date is its whole day, inclusive.
    const today = new Date().toISOString().slice(0, 10);
    const within = await ctx.call('GET', `/api/v1/events?limit=100&created_from=${today}T00:00:00&created_to=${today}`, { key });
    assert.equal(within.status, 200, within.raw);
    assert.deepEqual(within.body.data.map((e: Json) => e.id), ids.filter((id: string) => all.body.data.find((e: Json) => e.id === id).created_at.startsWith(today)));
    const backwards = await ctx.call('GET', `/api/v1/events?created_from=2026-12-02&created_to=2026-12-01`, { key });
    assert.equal(backwards.body.error.detail.field, 'created_to');

    const narrowed = await ctx.call('GET', '/api/v1/events?limit=100', { key, onBehalfOf: a });
    assert.equal(narrowed.status, 200);
    assert.ok(narrowed.body.data.length > 0 && narrowed.body.data.every((e: Json) => e.account_id === a));
    const otherAccount = all.body.data.find((e: Json) => e.account_id === b);
    assert.equal((await ctx.call('GET', `/api/v1/events/${otherAccount.id}`, { key, onBehalfOf: a })).status, 404);
    assert.equal((await ctx.call('GET', `/api/v1/events?account_id=${b}`, { key, onBehalfOf: a })).body.error.code, 'ON_BEHALF_OF_MISMATCH');
  });

  it('isolation: another platform and the other environment see none of these endpoints, events or deliveries', async () => {
    const owner = await createTestPlatform(ctx);
    const stranger = await createTestPlatform(ctx);
    const endpoint = await createEndpoint(owner, { url: `${receiver.url}?case=iso`, events: ['*'] });
    const account = await createTestConnectedAccount(ctx, owner);
    const event = (await ctx.call('GET', `/api/v1/events?account_id=${account}`, { key: owner.keys.sandbox })).body.data[0];
    assert.ok(event, 'the owner sees its event');
    for (const key of [stranger.keys.sandbox, stranger.keys.production, owner.keys.production]) {
      for (const [method, url, body] of [
        ['GET', `/api/v1/webhooks/${endpoint.id}`],
        ['PATCH', `/api/v1/webhooks/${endpoint.id}`, { description: 'mine' }],
        ['DELETE', `/api/v1/webhooks/${endpoint.id}`],
        ['POST', `/api/v1/webhooks/${endpoint.id}/rotate-secret`, {}],
        ['POST', `/api/v1/webhooks/${endpoint.id}/test`],
        ['GET', `/api/v1/webhooks/${endpoint.id}/deliveries`],
        ['GET', `/api/v1/events/${event.id}`],
        ['POST', `/api/v1/events/${event.id}/redeliver`, {}],
        ['POST', `/api/v1/events/${event.id}/redeliver`, { endpoint_id: endpoint.id }],
      ] as [string, string, unknown?][]) {
        const answered = await ctx.call(method, url, { key, body });
        assert.equal(answered.status, 404, `${method} ${url}: ${answered.raw}`);
      }
      const listed = await ctx.call('GET', '/api/v1/webhooks', { key });
      assert.ok(!listed.raw.includes(endpoint.id));
      const events = await ctx.call('GET', '/api/v1/events?limit=100', { key });
      assert.ok(!events.raw.includes(event.id) && !events.raw.includes(account));
    }
    // The stranger's own endpoint never receives the owner's events.
    const strangers = await createEndpoint(stranger, { url: `${receiver.url}?case=stranger`, events: ['*'] });
    const later = await createTestConnectedAccount(ctx, owner);
    await receiver.waitFor(1, (r) => r.body.includes(later));
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(await deliveries(stranger, strangers.id), []);
  });
});

describe('a backlog with no poll to help', () => {
  let local: TestContext;
  before(async () => {
    // A poll once a minute: everything below must happen because commits and finished attempts wake the worker.
    local = await startTestApp({ webhooks: { ...fast, pollMs: 60_000 } });
  });
  after(() => local.close());

  it('more deliveries than one claim takes (8 per endpoint) all go out at once, not one claim per poll', async () => {
    const p = await createTestPlatform(local);
    const endpoint = (await local.call('POST', '/api/v1/webhooks', { key: p.keys.sandbox, body: { url: `${receiver.url}?case=backlog-${p.id}`, events: ['account.created'] } })).body;
    assert.match(endpoint.id, /^we_/);
    receiver.behave(() => ({ status: 200 }));
    const accounts = await Promise.all(Array.from({ length: 40 }, () => createTestConnectedAccount(local, p)));
    const seen = await eventually(async () => {
      const got = new Set(receiver.received.filter((r) => r.url.endsWith(`case=backlog-${p.id}`)).map((r) => JSON.parse(r.body).account_id as string));
      return got.size === accounts.length ? got : undefined;
    }, 15_000, 'all 40 deliveries');
    assert.equal(seen.size, 40);
  });
});

describe('an endpoint failing for too long', () => {
  let local: TestContext;
  before(async () => {
    local = await startTestApp({ webhooks: { ...fast, retryScheduleMs: [60_000], disableAfterMs: 1 } });
  });
  after(() => local.close());

  it('is disabled, its pending deliveries end undelivered, and the platform’s other endpoints get webhook_endpoint.disabled', async () => {
    const p = await createTestPlatform(local);
    const make = async (url: string, events: string[]) => (await local.call('POST', '/api/v1/webhooks', { key: p.keys.sandbox, body: { url, events } })).body;
    const dead = await make('http://127.0.0.1:1/dead', ['account.created']);
    const watcher = await make(`${receiver.url}?case=watcher`, ['webhook_endpoint.disabled']);
    assert.ok(dead.id && watcher.id);
    await createTestConnectedAccount(local, p);
    const [notice] = (await receiver.waitFor(1, (r) => r.body.includes(dead.id) && r.body.includes('webhook_endpoint.disabled'))) as [Received];
    const body = JSON.parse(notice.body);
    assert.equal(body.data.id, dead.id);
    assert.equal(body.data.disabled_reason, 'failing');
    assert.ok(standardVerifies(notice, watcher.secret));
    const read = await local.call('GET', `/api/v1/webhooks/${dead.id}`, { key: p.keys.sandbox });
    assert.deepEqual([read.body.status, read.body.disabled_reason], ['disabled', 'failing']);
    const listed = await local.call('GET', `/api/v1/webhooks/${dead.id}/deliveries`, { key: p.keys.sandbox });
    assert.equal(listed.body.data[0].status, 'undelivered');
    assert.match(listed.body.data[0].attempts[0].error, /refused|ECONNREFUSED/i);
  });
});
