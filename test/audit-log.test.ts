// The audit log: one entry per audited action (keys, dashboard sign-ins and team, webhook endpoints, every operator
// action), committed with the action or not at all, append-only, readable by the operator and the dashboard — and
// never holding a secret.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { runUnitOfWork } from '../src/db/unit-of-work.ts';
import { auditActions } from '../src/lib/audit-actions.ts';
import { createTestConnectedAccount, startTestApp, type TestContext } from './support/context.ts';
import { dashboardClient, inviteFromTeamPage, signedInOwner, testPassword } from './support/dashboard.ts';
import { validKyc } from './support/onboarding.ts';

let ctx: TestContext;
let nowMs = Date.parse('2026-07-01T00:00:00Z');
let platformId: string;
const secrets: string[] = [testPassword];

interface Entry {
  action: string;
  actor: { type: string; id: string | null };
  target: { type: string; id: string | null };
  environment: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}
const entries = async (query = ''): Promise<Entry[]> => {
  const all: Entry[] = [];
  let cursor: string | null = null;
  do {
    const page = await ctx.admin('GET', `/admin/v1/audit-log?platform=${platformId}&limit=100${query}${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(page.status, 200, page.raw);
    all.push(...page.body.data);
    cursor = page.body.next_cursor;
  } while (cursor);
  return all;
};

before(async () => {
  ctx = await startTestApp({}, { now: () => new Date(nowMs) });
  // The whole scenario, once: every audited action on one platform.
  const { platform, client } = await signedInOwner(ctx); // platform.created (operator), user.sign_in_succeeded
  platformId = platform.id;
  const wrong = dashboardClient(ctx, '192.0.2.44');
  await wrong.signIn(platform.email, 'not the password at all'); // user.sign_in_failed
  const key = await ctx.admin('POST', `/admin/v1/platforms/${platformId}/keys`, { environment: 'sandbox', expires_at: new Date(nowMs + 3600_000).toISOString() });
  const live = await ctx.admin('POST', `/admin/v1/platforms/${platformId}/keys`, { environment: 'production' });
  secrets.push(key.body.secret, live.body.secret);
  await ctx.admin('PATCH', `/admin/v1/keys/${key.body.id}`, { permissions: { webhooks: 'write', accounts: 'write', onboarding: 'write' } });
  await ctx.admin('PATCH', `/admin/v1/keys/${key.body.id}`, { allowed_ips: ['127.0.0.1'] });
  const rolled = await ctx.admin('POST', `/admin/v1/keys/${live.body.id}/roll`, { expires_in_seconds: 60 });
  secrets.push(rolled.body.secret);
  await ctx.admin('DELETE', `/admin/v1/keys/${rolled.body.id}`);
  await ctx.call('GET', `/api/v1/account?api_key=${live.body.secret}`, { key: key.body.secret }); // api_key.exposed (url)
  // Webhook endpoints through the API, as the restricted key.
  const endpoint = await ctx.call('POST', '/api/v1/webhooks', { key: key.body.secret, body: { url: 'https://hooks.example.com/audit', events: ['*'] } });
  assert.equal(endpoint.status, 201, endpoint.raw);
  secrets.push(endpoint.body.secret);
  await ctx.call('PATCH', `/api/v1/webhooks/${endpoint.body.id}`, { key: key.body.secret, body: { description: 'changed' } });
  const rotated = await ctx.call('POST', `/api/v1/webhooks/${endpoint.body.id}/rotate-secret`, { key: key.body.secret, body: {} });
  secrets.push(rotated.body.secret);
  await ctx.call('DELETE', `/api/v1/webhooks/${endpoint.body.id}`, { key: key.body.secret });
  // The team and the password, in the dashboard.
  const invite = await inviteFromTeamPage(client, `mate-${Date.now()}@example.test`);
  if (invite.link) secrets.push(new URL(invite.link).searchParams.get('token') as string);
  const mateId = /\/dashboard\/settings\/team\/(usr_[0-9a-z]+)\/remove/.exec((await client.get('/dashboard/settings/team')).body)?.[1];
  assert.ok(mateId, 'the invited person is listed');
  await client.get(`/dashboard/settings/team/${mateId}/remove`);
  await client.post(`/dashboard/settings/team/${mateId}/remove`, {});
  await client.get('/dashboard/settings/password');
  const newPassword = 'an even better horse battery staple';
  secrets.push(newPassword);
  await client.post('/dashboard/settings/password', { current_password: testPassword, new_password: newPassword, confirm_password: newPassword });
  // Every operator action.
  await ctx.admin('PUT', `/admin/v1/platforms/${platformId}/rate-limits`, { limits: { general: 900 } });
  await ctx.admin('POST', `/admin/v1/platforms/${platformId}/capabilities/payouts`, { environment: 'production' });
  await ctx.admin('DELETE', `/admin/v1/platforms/${platformId}/capabilities/payouts?environment=production`);
  await ctx.admin('POST', `/admin/v1/platforms/${platformId}/capabilities/payouts`, { environment: 'production' });
  const person = await createTestConnectedAccount(ctx, { id: platformId, name: '', keys: { sandbox: key.body.secret, production: '' }, keyIds: { sandbox: key.body.id, production: '' } });
  await ctx.call('POST', `/api/v1/accounts/${person}/kyc`, { key: key.body.secret, body: validKyc() });
  await ctx.admin('POST', `/admin/v1/verifications/${person}/decision`, { environment: 'sandbox', status: 'approved' });
  await ctx.admin('POST', '/admin/v1/deposits', { environment: 'production', account_id: platformId, currency: 'AUD', amount: '50.00', reference: 'audit-1' });
  const fresh = await ctx.admin('POST', `/admin/v1/platforms/${platformId}/keys`, { environment: 'production' });
  secrets.push(fresh.body.secret);
  const payout = await ctx.call('POST', '/api/v1/payouts', { key: fresh.body.secret, body: { currency: 'AUD', amount: '5.00', destination_type: 'bank_account', destination: { bsb: '062000', account_number: '12345678', account_name: 'Jane' } } });
  assert.equal(payout.status, 201, payout.raw);
  await ctx.admin('POST', `/admin/v1/payouts/${payout.body.id}/complete`, { environment: 'production' });
  // The key expires; the worker records it.
  nowMs += 2 * 3600_000;
  await ctx.services.keyExpiry.runOnce();
});
after(() => ctx.close());

describe('audit entries', () => {
  it('every action of the catalogue was recorded by the scenario, with actor, target and environment', async () => {
    const all = await entries();
    const seen = new Set(all.map((e) => e.action));
    for (const action of auditActions) assert.ok(seen.has(action), `no ${action} entry`);
    const byAction = (action: string) => all.filter((e) => e.action === action);
    assert.equal(byAction('platform.created')[0]?.actor.type, 'operator');
    assert.equal(byAction('api_key.created').length, 3 + 0, 'three keys generated (the roll records api_key.rolled)');
    const rolled = byAction('api_key.rolled')[0] as Entry;
    assert.equal(rolled.environment, 'production');
    assert.match(String(rolled.details.successor_id), /^key_/);
    assert.equal(byAction('webhook_endpoint.created')[0]?.actor.type, 'api_key', 'an API call is attributed to its key');
    const signIn = byAction('user.sign_in_succeeded')[0] as Entry;
    assert.deepEqual([signIn.actor.type, signIn.ip], ['user', '127.0.0.1']);
    const failed = byAction('user.sign_in_failed')[0] as Entry;
    assert.deepEqual([failed.ip, failed.details.reason], ['192.0.2.44', 'wrong_credentials']);
    assert.equal(byAction('api_key.expired')[0]?.actor.type, 'system');
    assert.deepEqual(byAction('api_key.permissions_changed')[0]?.details.before, 'full');
    assert.deepEqual(byAction('api_key.allowlist_changed')[0]?.details.after, ['127.0.0.1']);
    assert.equal(byAction('payout.settled')[0]?.details.status, 'completed');
  });

  it('no entry holds a secret: keys, passwords, webhook secrets, invitation tokens, the operator token', async () => {
    const dump = (await sql<{ row: string }>`select t::text as row from core.audit_log t`.execute(ctx.services.db.core)).rows.map((r) => r.row).join('\n');
    assert.ok(dump.length > 1000);
    for (const secret of secrets) {
      assert.ok(!dump.includes(secret), 'an audit entry holds a secret');
      if (secret.startsWith('pik_')) assert.ok(!dump.includes(secret.slice(9, 41)), "an audit entry holds a key's random part");
    }
    assert.ok(!dump.includes(ctx.operatorToken));
    assert.ok(!/whsec_/.test(dump), 'a webhook signing secret');
  });

  it('filters by action, actor and environment, and pages newest first', async () => {
    const rolledOnly = await entries('&action=api_key.rolled');
    assert.ok(rolledOnly.length === 1 && rolledOnly[0]?.action === 'api_key.rolled');
    assert.ok((await entries('&actor_type=operator')).every((e) => e.actor.type === 'operator'));
    assert.ok((await entries('&environment=sandbox')).every((e) => e.environment === 'sandbox'));
    const first = await ctx.admin('GET', `/admin/v1/audit-log?platform=${platformId}&limit=2`);
    const second = await ctx.admin('GET', `/admin/v1/audit-log?platform=${platformId}&limit=2&cursor=${first.body.next_cursor}`);
    assert.ok(first.body.data[1].id > second.body.data[0].id, 'newest first across pages');
    assert.equal((await ctx.admin('GET', `/admin/v1/audit-log?platform=${platformId}&action=nope`)).status, 400);
  });

  it('is append-only: UPDATE and DELETE are refused by the database', async () => {
    await assert.rejects(sql`update core.audit_log set action = 'x'`.execute(ctx.services.db.core), /append-only/);
    await assert.rejects(sql`delete from core.audit_log`.execute(ctx.services.db.core), /append-only/);
  });

  it('commits with its action or not at all', async () => {
    const before = (await entries()).length;
    await assert.rejects(
      runUnitOfWork(ctx.services.db, async (work) => {
        work.audit({ action: 'platform.rate_limits_changed', platformId, environment: null, targetType: 'platform', targetId: platformId, details: {} });
        throw new Error('the action failed');
      }),
      /the action failed/,
    );
    assert.equal((await entries()).length, before);
    // A key-shaped string in the details refuses the whole unit of work: a secret never reaches the log by mistake.
    await assert.rejects(
      runUnitOfWork(ctx.services.db, async (work) => work.audit({ action: 'api_key.created', platformId, environment: null, targetType: 'api_key', targetId: null, details: { oops: secrets[1] } })),
      /must not hold an API key/,
    );
    assert.equal((await entries()).length, before);
  });

  it('the dashboard shows it with filters and paging, and exports the same selection as CSV', async () => {
    const { client } = await signedInOwner(ctx);
    const page = await client.get('/dashboard/settings/audit-log');
    assert.equal(page.status, 200);
    assert.match(page.body, /Audit log/);
    assert.match(page.body, /Dashboard sign-in succeeded/);
    // Another platform's owner sees only their own platform's entries.
    assert.doesNotMatch(page.body, new RegExp(platformId));
    const filtered = await client.get('/dashboard/settings/audit-log?action=user.sign_in_succeeded');
    assert.equal((filtered.body.match(/data-action="/g) ?? []).length, 1);
    const csv = await client.get('/dashboard/settings/audit-log.csv?action=user.sign_in_succeeded');
    assert.equal(csv.status, 200);
    assert.match(String(csv.headers['content-type']), /text\/csv/);
    assert.match(String(csv.headers['content-disposition']), /attachment/);
    const lines = csv.body.trim().split('\r\n');
    assert.equal(lines[0], 'id,occurred_at,environment,actor_type,actor_id,action,target_type,target_id,ip,user_agent,details');
    assert.equal(lines.length, 2);
    assert.match(lines[1] as string, /user\.sign_in_succeeded/);
    assert.equal((await client.get('/dashboard/settings/audit-log?since=yesterday')).status, 400);
  });
});
