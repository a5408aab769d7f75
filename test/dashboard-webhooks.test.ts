// Dashboard Settings › Webhooks and Developers › Events: one-time secrets, deliveries with every attempt, the actions on
// an endpoint, CSRF, escaping of what receivers and users wrote, isolation between platforms, members as owners.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../src/config.ts';
import { runUnitOfWork } from '../src/db/unit-of-work.ts';
import { recordEvent } from '../src/domain/events.ts';
import { createEndpoint } from '../src/domain/webhooks/endpoints.ts';
import { startTestApp, type TestContext } from './support/context.ts';
import { dashboardClient, inviteFromTeamPage, signedInOwner, type DashboardClient, type PageResult } from './support/dashboard.ts';
import { eventually, startReceiver, type Receiver } from './support/webhook-receiver.ts';

let ctx: TestContext;
let receiver: Receiver;

before(async () => {
  ctx = await startTestApp({ webhooks: { ...loadConfig({}).webhooks, allowSandboxLoopback: true, pollMs: 50, timeoutMs: 2000, retryScheduleMs: [60_000] } });
  receiver = await startReceiver();
});
after(async () => {
  await ctx.close();
  await receiver.close();
});

type Env = 'sandbox' | 'production';
const base = (env: Env = 'sandbox') => `/dashboard/settings/webhooks/${env}`;

/** Adds an endpoint from Settings › Webhooks; the secret and id read from the one-time panel. */
async function addEndpoint(client: DashboardClient, fields: { url: string; description?: string; events?: string[] }, env: Env = 'sandbox') {
  const form = await client.get(base(env));
  const formId = /name="form_id" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  const chosen = fields.events ?? ['*'];
  const events = Object.fromEntries(chosen.map((e) => (e === '*' ? ['all_events', 'on'] : [`event:${e}`, 'on'])));
  const page = await client.post(base(env), { form_id: formId, url: fields.url, description: fields.description ?? '', ...events });
  const secret = /id="new-webhook-secret"[^>]*value="([^"]+)"/.exec(page.body)?.[1];
  const endpointId = /href="\/dashboard\/settings\/webhooks\/\w+\/(we_[0-9a-z]+)">endpoint's page/.exec(page.body)?.[1];
  return { page, secret, endpointId, formId };
}

/** The endpoint page, reloaded until `match` is on it (deliveries are made by the worker, a moment after the action). */
async function endpointPageWith(client: DashboardClient, endpointId: string, match: RegExp): Promise<PageResult> {
  return eventually(async () => {
    const page = await client.get(`${base()}/${endpointId}`);
    return match.test(page.body) ? page : undefined;
  }, 20_000, `${match} on the endpoint page`);
}

const receiverUrl = (path: string) => receiver.url.replace('/hooks', path);

describe('Settings › Webhooks: pages', () => {
  it('renders both tabs with the navigation entries; bare paths redirect; unknown environments are 404', async () => {
    const { client } = await signedInOwner(ctx);
    for (const env of ['sandbox', 'production'] as const) {
      const page = await client.get(base(env));
      assert.equal(page.status, 200);
      assert.match(page.body, /<h1>Webhooks<\/h1>/);
      assert.match(page.body, new RegExp(`aria-current="page">Webhooks<`));
      assert.match(page.body, new RegExp(`href="/dashboard/developers/events/${env}">Events<`));
      assert.match(page.body, /No (sandbox|production) endpoints yet/);
      assert.match(page.body, /name="event:transfer.completed"/);
      assert.doesNotMatch(page.body, /name="event:webhook.test"/); // test events go by endpoint, never by subscription
    }
    assert.equal((await client.get('/dashboard/settings/webhooks')).location, '/dashboard/settings/webhooks/sandbox');
    assert.equal((await client.get('/dashboard/developers/events')).location, '/dashboard/developers/events/sandbox');
    assert.equal((await client.get('/dashboard/settings/webhooks/staging')).status, 404);
    assert.equal((await client.get('/dashboard/developers/events/staging')).status, 404);
    assert.equal((await client.get(`${base()}/we_nope`)).status, 404);
    assert.equal((await client.get('/dashboard/developers/events/sandbox/evt_nope')).status, 404);
    assert.equal((await client.get('/dashboard/developers/events/sandbox?cursor=bad%20cursor')).status, 400);
  });
});

describe('Settings › Webhooks: add endpoint', () => {
  it('shows the secret once, with a copy button; it signs the deliveries; a reload adds no second endpoint', async () => {
    const { platform, client } = await signedInOwner(ctx);
    const added = await addEndpoint(client, { url: receiverUrl('/once'), description: 'Order service', events: ['transfer.completed', 'payout.failed'] });
    assert.equal(added.page.status, 201);
    assert.equal(added.page.headers['cache-control'], 'no-store');
    assert.match(added.secret ?? '', /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.match(added.page.body, /It will not be shown again/);
    assert.match(added.page.body, /data-copy-target="new-webhook-secret"/);
    assert.ok(added.endpointId);

    const again = await client.post(base(), { form_id: added.formId, url: receiverUrl('/once'), all_events: 'on' });
    assert.equal(again.status, 409);
    assert.match(again.body, /no second endpoint was added/);
    assert.doesNotMatch(again.body, /id="new-webhook-secret"/);
    const rows = await ctx.services.db.env('sandbox').selectFrom('webhook_endpoints').selectAll().where('platform_id', '=', platform.id).execute();
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0]?.events, ['transfer.completed', 'payout.failed']);
    assert.ok(!JSON.stringify(rows).includes(added.secret ?? '-'));

    const list = await client.get(base());
    assert.equal(list.body.includes(added.secret ?? '-'), false);
    assert.match(list.body, /Order service/);
    assert.match(list.body, /transfer\.completed/);
    assert.match(list.body, /No deliveries yet/);
    assert.equal((await client.get(`${base()}/${added.endpointId}`)).body.includes(added.secret ?? '-'), false);

    // The secret shown is the one deliveries are signed with: the standardwebhooks package is the judge.
    await client.get(`${base()}/${added.endpointId}`);
    assert.equal((await client.post(`${base()}/${added.endpointId}/test`, {})).status, 303);
    const [delivery] = await receiver.waitFor(1, (r) => r.url === '/once');
    assert.ok(delivery);
    new Webhook(added.secret ?? '').verify(delivery.body, delivery.headers as Record<string, string>);
  });

  it('shows refusals on the form and keeps what was typed: a bad URL (with its reason), no events, the limit', async () => {
    const { platform, client } = await signedInOwner(ctx);
    const http = await addEndpoint(client, { url: 'http://hooks.example.com/pik', description: 'kept' }, 'production');
    assert.equal(http.page.status, 400);
    assert.equal(http.secret, undefined);
    assert.match(http.page.body, /This URL cannot receive webhooks: webhooks are sent over https only\./);
    assert.match(http.page.body, /value="http:\/\/hooks\.example\.com\/pik"/);
    assert.match(http.page.body, /value="kept"/);
    const loopback = await addEndpoint(client, { url: 'https://127.0.0.1/hooks' }, 'production');
    assert.match(loopback.page.body, /a loopback address/);
    const none = await addEndpoint(client, { url: 'https://hooks.example.com/pik', events: [] }, 'production');
    assert.equal(none.page.status, 400);
    assert.match(none.page.body, /Choose the events to send/);
    // The refused form's id was given back: the corrected form goes through.
    const fixed = await client.post(base('production'), { form_id: none.formId, url: 'https://hooks.example.com/pik', all_events: 'on' });
    assert.equal(fixed.status, 201);

    const owner = { platformId: platform.id, environment: 'sandbox' as const };
    for (let i = 0; i < 16; i++) {
      await runUnitOfWork(ctx.services.db, (work) => createEndpoint(ctx.services, work, owner, { url: `https://hooks${i}.example.com/`, events: ['*'] }));
    }
    const full = await addEndpoint(client, { url: 'https://one-more.example.com/' });
    assert.equal(full.page.status, 409);
    assert.match(full.page.body, /most webhook endpoints an environment allows \(16\)/);
    assert.match(full.page.body, /16 of 16/);
  });
});

describe('an endpoint: deliveries and actions', () => {
  it('shows each attempt with its code, latency and the escaped first 1 KB of the response; the list shows the last result', async () => {
    const { client } = await signedInOwner(ctx);
    receiver.behave((_n, r) => (r.url === '/xss' ? { status: 200, body: '<script>alert("receiver")</script>' } : { status: 200, body: 'ok' }));
    const { endpointId } = await addEndpoint(client, { url: receiverUrl('/xss') });
    assert.ok(endpointId);
    await client.get(`${base()}/${endpointId}`);
    const sent = await client.post(`${base()}/${endpointId}/test`, {});
    assert.equal(sent.location, `${base()}/${endpointId}?done=test`);
    assert.match((await client.get(sent.location ?? '')).body, /Test event sent/);
    const page = await endpointPageWith(client, endpointId, /Delivered/);
    assert.match(page.body, /<span class="status status-2xx">200<\/span>/);
    assert.match(page.body, /\d+ ms<\/td>/);
    assert.match(page.body, /webhook\.test/);
    assert.ok(page.body.includes('&lt;script&gt;alert(&quot;receiver&quot;)&lt;/script&gt;'));
    assert.equal(page.body.includes('<script>alert'), false);
    const list = await client.get(base());
    assert.match(list.body, /Delivered<\/span>\s*<br><span class="status status-2xx">200<\/span>/);
  });

  it('escapes HTML in the URL and the description on every page', async () => {
    const { client } = await signedInOwner(ctx);
    const url = `${receiverUrl('/h')}?q="><img src=x onerror=alert(1)>`;
    const { page, endpointId } = await addEndpoint(client, { url, description: '<b onclick="x()">Ops</b>' });
    assert.equal(page.status, 201);
    for (const path of [base(), `${base()}/${endpointId}`, `${base()}/${endpointId}/delete`]) {
      const body = (await client.get(path)).body;
      assert.equal(body.includes('<img src=x'), false, path);
      assert.equal(body.includes('<b onclick'), false, path);
      assert.ok(body.includes('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'), path);
    }
  });

  it('Resend queues the delivery again; Disable refuses test events until Enable; a failing endpoint shows the notice', async () => {
    const { client } = await signedInOwner(ctx);
    receiver.behave((_n, r) => (r.url === '/flaky' && receiver.received.filter((x) => x.url === '/flaky').length === 1 ? { status: 500, body: 'down' } : { status: 200 }));
    const { endpointId } = await addEndpoint(client, { url: receiverUrl('/flaky') });
    assert.ok(endpointId);
    await client.get(`${base()}/${endpointId}`);
    await client.post(`${base()}/${endpointId}/test`, {});
    const failed = await endpointPageWith(client, endpointId, /status-5xx">500/);
    assert.match(failed.body, /Retry now/);
    const eventId = /name="event_id" value="(evt_[0-9a-z]+)"/.exec(failed.body)?.[1];
    assert.ok(eventId);
    const resent = await client.post(`${base()}/${endpointId}/resend`, { event_id: eventId });
    assert.equal(resent.location, `${base()}/${endpointId}?done=resent`);
    const delivered = await endpointPageWith(client, endpointId, /Delivered/);
    assert.match(delivered.body, /2 attempts/);
    assert.match(delivered.body, />Resend<span/);

    const disabled = await client.post(`${base()}/${endpointId}/status`, { status: 'disabled' });
    assert.equal(disabled.status, 303);
    const off = await client.get(disabled.location ?? '');
    assert.match(off.body, /Endpoint disabled/);
    assert.match(off.body, /Enable endpoint/);
    const refused = await client.post(`${base()}/${endpointId}/test`, {});
    assert.equal(refused.status, 409);
    assert.match(refused.body, /This endpoint is disabled: enable it first\./);
    assert.equal((await client.post(`${base()}/${endpointId}/resend`, { event_id: eventId })).status, 409);
    assert.equal((await client.post(`${base()}/${endpointId}/status`, { status: 'sideways' })).status, 400);

    await ctx.services.db.env('sandbox').updateTable('webhook_endpoints').set({ disabled_reason: 'failing' }).where('id', '=', endpointId).execute();
    const notice = 'PIK disabled this endpoint after every delivery failed for 5 days; fix the receiver, enable it, then resend the undelivered events.';
    assert.ok((await client.get(base())).body.includes(notice));
    assert.ok((await client.get(`${base()}/${endpointId}`)).body.includes(notice));
    await client.post(`${base()}/${endpointId}/status`, { status: 'enabled' });
    const on = await client.get(`${base()}/${endpointId}`);
    assert.equal(on.body.includes(notice), false);
    assert.match(on.body, />Enabled</);
  });

  it('edits URL, description and events, with refusals shown on the form', async () => {
    const { client } = await signedInOwner(ctx);
    const { endpointId } = await addEndpoint(client, { url: 'https://before.example.com/' });
    await client.get(`${base()}/${endpointId}`);
    const saved = await client.post(`${base()}/${endpointId}`, { url: 'https://after.example.com/', description: 'Renamed', 'event:payout.completed': 'on' });
    assert.equal(saved.location, `${base()}/${endpointId}?done=saved`);
    const page = await client.get(saved.location ?? '');
    assert.match(page.body, /after\.example\.com/);
    assert.match(page.body, /<li class="mono">payout\.completed<\/li>/);
    const bad = await client.post(`${base()}/${endpointId}`, { url: 'ftp://after.example.com/', 'event:payout.completed': 'on' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /only https URLs can receive webhooks/);
    assert.match(bad.body, /<details class="edit" open>/);
  });

  it('Rotate secret shows the new secret once, with the chosen overlap; a reload does not rotate again', async () => {
    const { client } = await signedInOwner(ctx);
    const { endpointId, secret: first } = await addEndpoint(client, { url: 'https://rotate.example.com/' });
    const page = await client.get(`${base()}/${endpointId}`);
    const formId = /name="form_id" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    assert.match(page.body, /<option value="3600">In 1 hour<\/option>/);
    const csrf = client.csrf();
    const rotated = await client.post(`${base()}/${endpointId}/rotate`, { form_id: formId, expires_in_seconds: '3600' }, { csrf });
    assert.equal(rotated.status, 200);
    const secret = /id="new-webhook-secret"[^>]*value="([^"]+)"/.exec(rotated.body)?.[1];
    assert.match(secret ?? '', /^whsec_/);
    assert.notEqual(secret, first);
    assert.match(rotated.body, /The previous secret keeps signing alongside it until/);
    const row = await ctx.services.db.env('sandbox').selectFrom('webhook_endpoints').selectAll().where('id', '=', endpointId ?? '').executeTakeFirstOrThrow();
    const overlapMs = (row.previous_secret_expires_at?.getTime() ?? 0) - row.updated_at.getTime();
    assert.ok(Math.abs(overlapMs - 3_600_000) < 1000);
    const again = await client.post(`${base()}/${endpointId}/rotate`, { form_id: formId, expires_in_seconds: '3600' }, { csrf });
    assert.equal(again.status, 409);
    assert.match(again.body, /the secret was not rotated again/);
    assert.doesNotMatch(again.body, /id="new-webhook-secret"/);
    assert.equal((await client.get(`${base()}/${endpointId}`)).body.includes(secret ?? '-'), false);
    const now = await client.post(`${base()}/${endpointId}/rotate`, { form_id: `${formId}x`, expires_in_seconds: '0' });
    assert.match(now.body, /The previous secret no longer signs deliveries/);
    assert.equal((await client.post(`${base()}/${endpointId}/rotate`, { form_id: `${formId}y`, expires_in_seconds: '99' })).status, 400);
  });

  it('Delete asks for confirmation, then the endpoint is gone', async () => {
    const { client } = await signedInOwner(ctx);
    const { endpointId } = await addEndpoint(client, { url: 'https://gone.example.com/' });
    const confirm = await client.get(`${base()}/${endpointId}/delete`);
    assert.equal(confirm.status, 200);
    assert.match(confirm.body, /This cannot be undone/);
    const deleted = await client.post(`${base()}/${endpointId}/delete`, {});
    assert.equal(deleted.location, `${base()}?deleted=1`);
    const list = await client.get(deleted.location ?? '');
    assert.match(list.body, /Endpoint deleted/);
    assert.equal(list.body.includes('gone.example.com'), false);
    assert.equal((await client.get(`${base()}/${endpointId}`)).status, 404);
  });
});

describe('Developers › Events', () => {
  it('lists events newest first with a type filter and paging; the event page shows the escaped payload and Resend', async () => {
    const { platform, client } = await signedInOwner(ctx);
    const { endpointId } = await addEndpoint(client, { url: receiverUrl('/events'), events: ['api_key.created'] });
    const data = { id: 'key_x', name: '<script>alert("name")</script>', hint: 'pik_test_…abcd', environment: 'sandbox' as const };
    const recorded = await runUnitOfWork(ctx.services.db, async (work) => {
      const rows = [];
      for (let i = 0; i < 51; i++) rows.push(await recordEvent(work, 'sandbox', { platformId: platform.id, accountId: platform.id, type: 'api_key.created', data }));
      return rows;
    });
    const newest = recorded.at(-1)?.id ?? '';
    const oldest = recorded[0]?.id ?? '';
    const first = await client.get('/dashboard/developers/events/sandbox?type=api_key.created');
    assert.equal(first.status, 200);
    const ids = [...first.body.matchAll(/data-event-id="(evt_[0-9a-z]+)"/g)].map((m) => m[1]);
    assert.equal(ids.length, 50);
    assert.equal(ids[0], newest);
    assert.equal(ids.includes(oldest), false);
    const older = /href="([^"]+cursor=[^"]+)">Older events/.exec(first.body)?.[1]?.replace(/&amp;/g, '&');
    assert.ok(older);
    assert.match(older, /type=api_key\.created/);
    assert.ok((await client.get(older)).body.includes(`data-event-id="${oldest}"`));
    assert.equal((await client.get('/dashboard/developers/events/sandbox?type=payout.failed')).body.includes('data-event-id'), false);
    assert.equal((await client.get('/dashboard/developers/events/sandbox?type=nonsense')).status, 200); // ignored, not an error

    await receiver.waitFor(51, (r) => r.url === '/events');
    const event = await eventually(async () => {
      const page = await client.get(`/dashboard/developers/events/sandbox/${newest}`);
      return /Delivered/.test(page.body) ? page : undefined;
    });
    assert.match(event.body, /&quot;event_id&quot;: &quot;evt_/); // indented JSON, as the receiver gets it
    assert.match(event.body, /&quot;type&quot;: &quot;api_key.created&quot;/);
    assert.ok(event.body.includes('&lt;script&gt;alert(\\&quot;name\\&quot;)&lt;/script&gt;'));
    assert.equal(event.body.includes('<script>alert'), false);
    assert.ok(event.body.includes(`href="/dashboard/settings/webhooks/sandbox/${endpointId}"`));
    const resent = await client.post(`/dashboard/developers/events/sandbox/${newest}/resend`, { endpoint_id: endpointId ?? '' });
    assert.equal(resent.location, `/dashboard/developers/events/sandbox/${newest}?resent=1`);
    assert.match((await client.get(resent.location ?? '')).body, /Queued again to 1 endpoint\./);
    const attempts = (n: number) => eventually(async () => ((await client.get(`/dashboard/developers/events/sandbox/${newest}`)).body.includes(`${n} attempts`) ? true : undefined));
    await attempts(2);
    const everyone = await client.post(`/dashboard/developers/events/sandbox/${newest}/resend`, {});
    assert.equal(everyone.location, `/dashboard/developers/events/sandbox/${newest}?resent=1`);
    await attempts(3);
  });
});

describe('CSRF, isolation and roles', () => {
  it('refuses every webhook form without the CSRF token, or from another site', async () => {
    const { platform, client } = await signedInOwner(ctx);
    const { endpointId } = await addEndpoint(client, { url: 'https://csrf.example.com/' });
    const form = await client.get(base());
    const formId = /name="form_id" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
    assert.equal((await client.post(base(), { form_id: formId, url: 'https://x.example.com/', all_events: 'on' }, { csrf: null })).status, 403);
    assert.equal((await client.post(base(), { form_id: formId, url: 'https://x.example.com/', all_events: 'on' }, { headers: { origin: 'https://evil.example' } })).status, 403);
    for (const action of ['test', 'status', 'rotate', 'delete', 'resend', '']) {
      const path: string = `${base()}/${endpointId}${action ? `/${action}` : ''}`;
      assert.equal((await client.post(path, { status: 'disabled', expires_in_seconds: '0', url: 'https://y.example.com/' }, { csrf: 'wrong' })).status, 403, path);
    }
    await client.get(`${base()}/${endpointId}`);
    assert.equal((await client.post(`${base()}/${endpointId}/test`, {})).status, 303);
    const event = (await client.get('/dashboard/developers/events/sandbox')).body.match(/data-event-id="(evt_[0-9a-z]+)"/)?.[1];
    assert.ok(event);
    assert.equal((await client.post(`/dashboard/developers/events/sandbox/${event}/resend`, {}, { csrf: null })).status, 403);
    const rows = await ctx.services.db.env('sandbox').selectFrom('webhook_endpoints').selectAll().where('platform_id', '=', platform.id).execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.status, 'enabled');
    assert.equal(rows[0]?.deleted_at, null);
  });

  it("another platform's endpoint and events are 404 on every page and action; environments are separate", async () => {
    const alice = await signedInOwner(ctx);
    const bob = await signedInOwner(ctx);
    const { endpointId } = await addEndpoint(bob.client, { url: receiverUrl('/bob'), description: 'Bob hooks' });
    assert.ok(endpointId);
    await bob.client.get(`${base()}/${endpointId}`);
    await bob.client.post(`${base()}/${endpointId}/test`, {});
    const bobEvent = (await bob.client.get('/dashboard/developers/events/sandbox')).body.match(/data-event-id="(evt_[0-9a-z]+)"/)?.[1];
    assert.ok(bobEvent);

    assert.equal((await alice.client.get(base())).body.includes('Bob hooks'), false);
    assert.equal((await alice.client.get('/dashboard/developers/events/sandbox')).body.includes(bobEvent), false);
    assert.equal((await alice.client.get(`${base()}/${endpointId}`)).status, 404);
    assert.equal((await alice.client.get(`${base()}/${endpointId}/delete`)).status, 404);
    assert.equal((await alice.client.get(`/dashboard/developers/events/sandbox/${bobEvent}`)).status, 404);
    await alice.client.get(base());
    for (const action of ['test', 'status', 'rotate', 'delete', 'resend', '']) {
      const path: string = `${base()}/${endpointId}${action ? `/${action}` : ''}`;
      const refused = await alice.client.post(path, { status: 'disabled', expires_in_seconds: '0', event_id: bobEvent, url: 'https://y.example.com/', all_events: 'on' });
      assert.equal(refused.status, 404, path);
    }
    assert.equal((await alice.client.post(`/dashboard/developers/events/sandbox/${bobEvent}/resend`, {})).status, 404);
    // Alice's own endpoint cannot be made to receive Bob's event either.
    const own = await addEndpoint(alice.client, { url: 'https://alice.example.com/' });
    await alice.client.get(`${base()}/${own.endpointId}`);
    assert.equal((await alice.client.post(`${base()}/${own.endpointId}/resend`, { event_id: bobEvent })).status, 404);
    // Bob's sandbox endpoint is not in his production tab, nor reachable through it.
    assert.equal((await bob.client.get(base('production'))).body.includes('Bob hooks'), false);
    assert.equal((await bob.client.get(`${base('production')}/${endpointId}`)).status, 404);
    const bobRow = await ctx.services.db.env('sandbox').selectFrom('webhook_endpoints').selectAll().where('id', '=', endpointId).executeTakeFirstOrThrow();
    assert.equal(bobRow.status, 'enabled');
    assert.equal(bobRow.deleted_at, null);
  });

  it('a member manages webhooks as the owner does (as with API keys)', async () => {
    const { client } = await signedInOwner(ctx);
    const email = `hooks-member-${Date.now()}@example.test`;
    const { link } = await inviteFromTeamPage(client, email);
    assert.ok(link);
    const url = new URL(link);
    const member = dashboardClient(ctx);
    await member.get(`${url.pathname}${url.search}`);
    await member.post('/dashboard/set-password', { token: url.searchParams.get('token') ?? '', new_password: 'member password 123', confirm_password: 'member password 123' });
    assert.equal((await member.signIn(email, 'member password 123')).status, 303);
    const added = await addEndpoint(member, { url: 'https://member.example.com/' });
    assert.equal(added.page.status, 201);
    assert.ok(added.secret);
    await member.get(`${base()}/${added.endpointId}`);
    assert.equal((await member.post(`${base()}/${added.endpointId}/status`, { status: 'disabled' })).status, 303);
    assert.equal((await member.post(`${base()}/${added.endpointId}/delete`, {})).status, 303);
  });
});
