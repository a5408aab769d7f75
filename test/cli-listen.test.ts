// `pik listen` and `pik events` against a stand-in for the events API (its contract: docs/webhooks.md, "The events API"):
// forwarding from "now", bursts larger than a page, signatures a receiver verifies, filters, failures that do not stop
// the listener, production keys refused, and the API key never printed.
// pik-test: engine-independent — the CLI against a fake events API over HTTP; no database (test/cli.test.ts runs listen against the server)
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { generateApiKey } from '../src/lib/api-key.ts';
import { startPik, type PikRun } from './support/cli.ts';
import { startFakeEventsApi, verifyDelivery, type FakeEventsApi } from './support/fake-events-api.ts';
import { startReceiver, type Receiver } from './support/webhook-receiver.ts';

interface Harness {
  /** This test's own events API: tests run side by side, each sees only the events it adds. */
  api: FakeEventsApi;
  startPik: (args: string[], env?: NodeJS.ProcessEnv) => PikRun;
  pik: (args: string[], env?: NodeJS.ProcessEnv) => Promise<{ code: number | null; stdout: string; stderr: string }>;
  receiver: () => Promise<Receiver>;
  listenArgs: (forwardTo: string, ...more: string[]) => string[];
}

/** What one test needs, all closed (and any CLI still running killed) when it ends. */
async function harness(t: TestContext): Promise<Harness> {
  const api = await startFakeEventsApi();
  const runs: PikRun[] = [];
  const closers: (() => Promise<void>)[] = [() => api.close()];
  t.after(async () => {
    for (const run of runs) run.child.kill('SIGKILL');
    await Promise.all(closers.map((close) => close()));
  });
  const { PIK_API_KEY: _key, PIK_URL: _url, ...inherited } = process.env;
  const start = (args: string[], env: NodeJS.ProcessEnv = {}): PikRun => {
    const run = startPik(args, { ...inherited, ...env });
    runs.push(run);
    return run;
  };
  return {
    api,
    startPik: start,
    async pik(args, env) {
      const run = start(args, env);
      const code = await run.exited;
      return { code, stdout: run.stdout(), stderr: run.stderr() };
    },
    async receiver() {
      const r = await startReceiver();
      closers.push(() => r.close());
      return r;
    },
    listenArgs: (forwardTo, ...more) => ['listen', '--api-key', api.key, '--url', api.url, '--forward-to', forwardTo, '--interval-ms', '30', ...more],
  };
}

async function until(condition: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function ready(run: PikRun): Promise<string> {
  const out = await run.waitFor(/Ready\. Signing secret: (whsec_\S+)/);
  return /Signing secret: (whsec_\S+)/.exec(out)?.[1] ?? '';
}

/** Ctrl-C: a clean stop, and the key was never printed. */
async function stop(run: PikRun, key: string): Promise<void> {
  run.child.kill('SIGINT');
  assert.equal(await run.exited, 0, run.stderr());
  assert.match(run.stdout(), /Stopped\.\n$/);
  assert.ok(!run.stdout().includes(key) && !run.stderr().includes(key), 'the API key is never printed');
}

// Each test has its own fake API and receivers, so they run side by side: the file stays fast.
describe('pik listen', { concurrency: true }, () => {
  it('forwards only what happens after the start, oldest first, a burst of several pages included, each verified by standardwebhooks and PIK-Signature-V2', async (t) => {
    const { api, startPik, receiver, listenArgs } = await harness(t);
    const before = api.add('transfer.completed', 'payout.completed', 'account.created');
    const local = await receiver();
    const run = startPik(listenArgs(local.url));
    const secret = await ready(run);
    const requestsAtReady = api.requests.length;

    const burst = api.add(...Array.from({ length: 150 }, (_, i) => (i % 2 ? 'transfer.completed' : 'payout.completed')));
    await until(() => local.received.length >= 150, '150 deliveries');
    const late = api.add('payout.failed');
    await until(() => local.received.length === 151, 'the event after the burst');

    const ids = local.received.map((d) => (JSON.parse(d.body) as { event_id: string }).event_id);
    assert.deepEqual(ids, [...burst, ...late].map((e) => e.id), 'every new event once, oldest first; none from before the start');
    assert.ok(!ids.some((id) => before.some((e) => e.id === id)));
    assert.ok(api.requests.slice(requestsAtReady).some((r) => r.includes('cursor=')), 'the burst was followed through next_cursor');

    for (const delivery of local.received) verifyDelivery(secret, delivery);
    const first = local.received[0]!;
    const event = burst[0]!;
    assert.deepEqual(JSON.parse(first.body), {
      event_id: event.id, object: 'event', type: event.type, created_at: event.created_at, environment: 'sandbox', account_id: event.account_id, data: event.data,
    });
    assert.equal(first.headers['webhook-id'], event.id, 'webhook-id is the event id');
    assert.equal(first.headers['content-type'], 'application/json');
    assert.match(String(first.headers['pik-signature']), /^[0-9a-f]{64}$/);

    await run.waitFor(new RegExp(`payout\\.failed  ${late[0]!.id}  → 200\\n`));
    const lines = run.stdout().split('\n').filter((l) => l.includes('  evt_'));
    assert.equal(lines.length, 151);
    assert.match(lines[0] ?? '', new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ  payout\\.completed  ${event.id}  → 200$`));
    await stop(run, api.key);
  });

  it('--events forwards only the types named, and a name the server does not know is refused with the valid ones', async (t) => {
    const { api, startPik, pik, receiver, listenArgs } = await harness(t);
    const local = await receiver();
    const run = startPik(listenArgs(local.url, '--events', 'payout.failed, transfer.completed'));
    await ready(run);
    assert.match(run.stdout(), /Forwarding payout\.failed, transfer\.completed to /);
    const added = api.add('payout.completed', 'transfer.completed', 'account.created', 'payout.failed', 'payout.completed');
    const last = added[3]!;
    await run.waitFor(new RegExp(`${last.id}  → 200`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(local.received.map((d) => JSON.parse(d.body).type), ['transfer.completed', 'payout.failed']);
    await stop(run, api.key);

    const typo = await pik(listenArgs(local.url, '--events', 'transfer.completed,transfer.complete'));
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /"transfer\.complete" is not an event type\. The types are: account\.created, transfer\.completed/);
  });

  it('a receiver that fails or is down does not stop it: each outcome is shown and every later event is still tried', async (t) => {
    const { api, startPik, receiver, listenArgs } = await harness(t);
    const local = await receiver();
    local.behave((n) => ({ status: n === 1 ? 500 : 200 }));
    const run = startPik(listenArgs(local.url));
    await ready(run);
    const [failing, fine] = api.add('payout.failed', 'transfer.completed');
    await run.waitFor(new RegExp(`${fine!.id}  → 200\\n`));
    assert.match(run.stdout(), new RegExp(`payout\\.failed  ${failing!.id}  → 500\\n`));

    await local.close();
    const [first, second] = api.add('transfer.completed', 'payout.completed');
    await run.waitFor(new RegExp(`${second!.id}  → connection refused\\n`));
    assert.match(run.stdout(), new RegExp(`${first!.id}  → connection refused\\n`));
    await stop(run, api.key);
  });

  it('keeps listening while the PIK server is unavailable, and loses nothing that happened meanwhile', async (t) => {
    const { api, startPik, receiver, listenArgs } = await harness(t);
    const local = await receiver();
    const run = startPik(listenArgs(local.url));
    await ready(run);
    api.isDown = true;
    const during = api.add('transfer.completed', 'payout.completed');
    await until(() => run.stderr().includes('Still trying'), 'the outage notice');
    api.isDown = false;
    await run.waitFor(new RegExp(`${during[1]!.id}  → 200`));
    assert.deepEqual(local.received.map((d) => JSON.parse(d.body).event_id), during.map((e) => e.id));
    assert.match(run.stderr(), /answers again/);
    await stop(run, api.key);
  });

  it('refuses a production key, and anything that is not a key, before calling the server and without printing the key', async (t) => {
    const { api, pik } = await harness(t);
    const requests = api.requests.length;
    const live = generateApiKey('production').secret;
    const refused = await pik(['listen', '--api-key', live, '--url', api.url, '--forward-to', 'http://127.0.0.1:9/webhooks']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /listen is for sandbox development: use a sandbox key \(pik_test_…\)/);
    assert.ok(!refused.stderr.includes(live) && !refused.stdout.includes(live));

    const garbled = await pik(['listen', '--url', api.url, '--forward-to', 'http://127.0.0.1:9/webhooks'], { PIK_API_KEY: `${api.key.slice(0, -1)}x` });
    assert.equal(garbled.code, 1);
    assert.match(garbled.stderr, /--api-key is not a PIK API key/);
    assert.ok(!garbled.stderr.includes(api.key.slice(0, -1)));
    assert.equal(api.requests.length, requests, 'no request was made');

    const noKey = await pik(['listen', '--forward-to', 'http://127.0.0.1:9/webhooks']);
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /--api-key/);
  });
});

describe('pik events', { concurrency: true }, () => {
  it('list prints one line per event, newest first, with the type filter passed on and the next page named', async (t) => {
    const { api, pik } = await harness(t);
    api.add('webhook.test', 'webhook.test', 'webhook.test');
    const newest = api.events.filter((e) => e.type === 'webhook.test').reverse();
    const out = await pik(['events', 'list', '--api-key', api.key, '--type', 'webhook.test', '--limit', '2'], { PIK_URL: api.url });
    assert.equal(out.code, 0, out.stderr);
    const lines = out.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^created_at\s+type\s+id\s+account_id$/);
    assert.match(lines[1] ?? '', new RegExp(`webhook\\.test\\s+${newest[0]!.id}\\s+acct_`));
    assert.match(lines[2] ?? '', new RegExp(`webhook\\.test\\s+${newest[1]!.id}`));
    assert.match(lines[3] ?? '', /^\(more: --cursor \S+\)$/);
    assert.ok(api.requests.at(-1)?.includes('type=webhook.test'));

    const json = await pik(['events', 'list', '--api-key', api.key, '--url', api.url, '--json', '--limit', '1']);
    assert.equal(JSON.parse(json.stdout)[0].id, api.events.at(-1)!.id);
  });

  it('redeliver queues to one endpoint or all, prints the deliveries, and an error prints the code with a non-zero exit', async (t) => {
    const { api, pik } = await harness(t);
    const [event] = api.add('transfer.completed');
    const one = await pik(['events', 'redeliver', event!.id, '--api-key', api.key, '--endpoint', 'we_01kmine000000000000000000'], { PIK_URL: api.url });
    assert.equal(one.code, 0, one.stderr);
    const { idempotencyKey, ...request } = api.redeliveries.at(-1)!;
    assert.deepEqual(request, { eventId: event!.id, body: { endpoint_id: 'we_01kmine000000000000000000' } });
    assert.match(idempotencyKey ?? '', /^pik-cli-/, 'keyed, so a retry cannot queue it twice');
    assert.match(one.stdout, new RegExp(`Queued 1 delivery of ${event!.id}:\\nid\\s+endpoint_id\\s+status\\nwd_\\S+\\s+we_01kmine000000000000000000\\s+pending\\n`));

    const all = await pik(['events', 'redeliver', event!.id, '--api-key', api.key, '--url', api.url]);
    assert.deepEqual(api.redeliveries.at(-1)?.body, {});
    assert.match(all.stdout, /Queued 2 deliveries/);

    const missing = await pik(['events', 'redeliver', 'evt_01knothere000000000000000', '--api-key', api.key, '--url', api.url]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /EVENT_NOT_FOUND: No such event\./);

    const wrongKey = await pik(['events', 'list', '--api-key', generateApiKey('sandbox').secret, '--url', api.url]);
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /API_KEY_INVALID/);
  });
});

