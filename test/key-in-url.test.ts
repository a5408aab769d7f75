// An API key in a URL, however it is encoded, is refused like a plain one (400 API_KEY_IN_URL, the key flagged as
// exposed) and reaches no log: not stdout, not the stored request log, not the dashboard's Requests page.
// pik-test: engine-independent — the URL guard and the log redaction run before authentication; the exposed flag is one UPDATE, also on PostgreSQL in auth.test.ts
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { compressRequestLogLines, fullRequestLogLine, redactedRequestPath, writeRequestLogSegments } from '../src/domain/request-log/request-log.ts';
import { newId } from '../src/lib/ids.ts';
import { decodedForms, maxUrlDecodingPasses } from '../src/lib/url-keys.ts';
import { dashboardClient, testPassword, type DashboardClient } from './support/dashboard.ts';
import { createTestKey, startTestApp, type CallResult, type TestContext } from './support/context.ts';

let ctx: TestContext;
let platformId: string;
let workingKey: string;
let workingKeyId: string;
let client: DashboardClient;

before(async () => {
  ctx = await startTestApp();
  const email = `owner-${Date.now()}@example.test`;
  const created = await ctx.admin('POST', '/admin/v1/platforms', { name: 'Leaky', owner_email: email, owner_password: testPassword });
  assert.equal(created.status, 201, created.raw);
  platformId = created.body.id;
  ({ secret: workingKey, id: workingKeyId } = await createTestKey(ctx, platformId, 'sandbox'));
  client = dashboardClient(ctx);
  assert.equal((await client.signIn(email, testPassword)).status, 303);
});
after(() => ctx.close());

const escapeAll = (text: string, upper = false): string =>
  [...text].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).map((e) => (upper ? e.toUpperCase() : e)).join('');

/** The key in each way a URL can spell it. */
function spellings(key: string): Record<string, string> {
  return {
    plain: key,
    'one escaped character': `%70${key.slice(1)}`,
    'one escaped character, upper-case hex': `${key.slice(0, 4)}%${key.charCodeAt(4).toString(16).toUpperCase()}${key.slice(5)}`,
    'all escaped': escapeAll(key),
    'all escaped, upper-case hex': escapeAll(key, true),
    'escaped twice': `%2570${key.slice(1)}`,
    'escaped three times over': escapeAll(escapeAll(`%70${key.slice(1)}`)),
    'behind an overlong escape of "p"': `%C1%B0${key.slice(1)}`,
  };
}

/** Where in a URL the spelling goes, with or without a broken escape elsewhere (which once made the guard give up). */
const placements: Record<string, (spelled: string) => string> = {
  'in the path': (s) => `/api/v1/accounts/${s}`,
  'in the path, with a broken escape in the query': (s) => `/api/v1/accounts/${s}?x=%`,
  'in the path, next to a broken escape': (s) => `/api/v1/accounts/${s}%`,
  'in the path, with invalid UTF-8 after it (Fastify cannot route it)': (s) => `/api/v1/accounts/${s}%E0%A4%A`,
  'in the query': (s) => `/api/v1/account?q=${s}`,
  'in the query, after a broken escape': (s) => `/api/v1/account?x=%&q=${s}`,
  'in the query, form-encoded': (s) => `/api/v1/account?q=a+b+${s}`,
  'in an operator URL': (s) => `/admin/v1/verifications/${s}?environment=sandbox`,
  'in a dashboard URL': (s) => `/dashboard/accounts/sandbox/${s}`,
};

function assertRefused(result: CallResult, label: string, code = 'API_KEY_IN_URL'): void {
  assert.equal(result.status, 400, `${label}: ${result.status} ${result.raw.slice(0, 200)}`);
  assert.equal(result.body?.error?.code, code, label);
  assert.equal(result.body.error.request_id, result.headers['x-request-id'], label);
}

/** Whether any decoded form of `text` holds the secret part of `key`. */
const reveals = (text: string, key: string): boolean => decodedForms(text).forms.some((form) => form.includes(key.slice(9)));

describe('API keys in URLs, in every encoding', () => {
  const leaked: string[] = [];

  for (const environment of ['sandbox', 'production'] as const) {
    it(`a ${environment} key: 400 API_KEY_IN_URL in every spelling and place, and the key is flagged as exposed`, async () => {
      const { secret, id } = await createTestKey(ctx, platformId, environment);
      leaked.push(secret);
      for (const [spelling, spelled] of Object.entries(spellings(secret))) {
        for (const [place, url] of Object.entries(placements)) {
          const label = `${spelling}, ${place}`;
          assertRefused(await ctx.call('GET', url(spelled), { key: workingKey }), label);
          assertRefused(await ctx.call('GET', url(spelled)), `${label}, without a key`);
        }
      }
      const keys = await ctx.admin('GET', `/admin/v1/platforms/${platformId}/keys?environment=${environment}`);
      const flagged = keys.body.data.find((k: { id: string }) => k.id === id);
      assert.equal(flagged.exposed, true, 'the key is flagged as exposed');
      const untouched = keys.body.data.find((k: { id: string }) => k.id === workingKeyId);
      if (untouched) assert.equal(untouched.exposed, false, 'the key in the header is not the one exposed');
    });
  }

  it(`a URL encoded more than ${maxUrlDecodingPasses} times over is a 400 INVALID_REQUEST, and is not logged`, async () => {
    let spelled = '%41';
    for (let i = 0; i < maxUrlDecodingPasses; i++) spelled = spelled.replace('%', '%25');
    const result = await ctx.call('GET', `/api/v1/accounts/${spelled}`, { key: workingKey });
    assertRefused(result, 'over-encoded', 'INVALID_REQUEST');
    assert.equal(result.body.error.detail.field, 'url');
    assert.ok(!ctx.logLines.some((line) => line.includes(spelled.slice(0, 20))));
    // One pass fewer is decoded to the end, and simply not found.
    assert.equal((await ctx.call('GET', `/api/v1/accounts/${spelled.replace('%25', '%')}`, { key: workingKey })).body.error.code, 'ACCOUNT_NOT_FOUND');
  });

  it('no key reaches stdout, the stored request log or the dashboard, in any spelling', async () => {
    // A key of its own, sent every way with a working key in the header (so that a request the guard missed would
    // be authenticated, answered and recorded); whatever the answers, nothing may be written with the key in it.
    const { secret } = await createTestKey(ctx, platformId, 'sandbox');
    leaked.push(secret);
    for (const spelled of Object.values(spellings(secret))) {
      for (const url of Object.values(placements)) await ctx.call('GET', url(spelled), { key: workingKey });
    }
    await ctx.services.requestLog.flush();
    for (const key of leaked) assert.ok(!ctx.logLines.some((line) => reveals(line, key)), 'a key reached the log');
    assert.ok(ctx.logLines.some((line) => line.includes('[REDACTED: key in URL]')), 'refused requests are still logged, without their URL');
    const stored = await sql<{ row: string }>`select t::text as row from sandbox.request_log_segments as t`.execute(ctx.services.db.core);
    for (const key of leaked) assert.ok(!stored.rows.some((r) => reveals(r.row, key)));
    for (const environment of ['sandbox', 'production']) {
      const page = await client.get(`/dashboard/settings/api-keys/${environment}/${workingKeyId}/requests`);
      for (const key of leaked) assert.ok(!reveals(page.body, key), `the ${environment} Requests page shows a key`);
    }
  });

  it('the request log never stores nor shows a path holding a key, whoever records it and whenever it was stored', async () => {
    const [secret] = leaked as [string];
    const path = `/api/v1/accounts/%70${secret.slice(1)}`;
    // Recorded through the recorder, as the /api/v1 pipeline does.
    ctx.services.requestLog.record('sandbox', platformId, workingKeyId, newId('request'), Date.now(), 'GET', path, 404, 'ROUTE_NOT_FOUND', null, null);
    await ctx.services.requestLog.flush();
    // Written as a segment stored before keys were recognised in every encoding.
    const at = Date.now();
    const line = fullRequestLogLine(newId('request'), at, 'GET', `${path}?x=%`, 404, 'ROUTE_NOT_FOUND', null, null);
    await writeRequestLogSegments(ctx.services, [
      { id: newId('request'), environment: 'sandbox', platformId, keyId: workingKeyId, accountIds: [], firstAt: new Date(at), lastAt: new Date(at), entryCount: 1, entries: await compressRequestLogLines(Buffer.from(line)) },
    ]);
    const page = await client.get(`/dashboard/settings/api-keys/sandbox/${workingKeyId}/requests`);
    assert.equal(page.status, 200, ctx.logLines.filter((l) => l.includes('"level":50')).join('\n'));
    assert.ok(!reveals(page.body, secret), 'the Requests page shows a key');
    assert.ok(page.body.split(redactedRequestPath).length - 1 >= 2, 'both requests are listed, without their path');
  });
});
