// Dashboard Settings › Team: the owner invites (one-time link) and removes members; a removed member's sessions end at once.
// pik-test: engine-independent — the dashboard pages and forms for the team; membership and session SQL runs on PostgreSQL in dashboard-memberships and dashboard-auth
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestContext } from './support/context.ts';
import { dashboardClient, inviteFromTeamPage, signedInOwner } from './support/dashboard.ts';

let ctx: TestContext;

before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

const owner = () => signedInOwner(ctx);
const invite = inviteFromTeamPage;

async function accept(link: string, password = 'member password 123'): Promise<void> {
  const url = new URL(link);
  const client = dashboardClient(ctx);
  const form = await client.get(`${url.pathname}${url.search}`);
  assert.equal(form.status, 200);
  assert.match(form.body, /Join /);
  const done = await client.post('/dashboard/set-password', { token: url.searchParams.get('token') ?? '', new_password: password, confirm_password: password });
  assert.equal(done.status, 303);
}

describe('Settings › Team', () => {
  it('the owner invites a member with a one-time link; the member signs in and cannot manage the team', async () => {
    const { client } = await owner();
    const email = `member-${Date.now()}@example.test`;
    const { page, link } = await invite(client, email);
    assert.equal(page.status, 201);
    assert.ok(link);
    assert.match(link, /\/dashboard\/set-password\?token=/);
    assert.match(page.body, /Invited/);
    assert.equal((await client.get('/dashboard/settings/team')).body.includes(link), false); // shown once

    await accept(link);
    const member = dashboardClient(ctx);
    assert.equal((await member.signIn(email, 'member password 123')).status, 303);
    const team = await member.get('/dashboard/settings/team');
    assert.equal(team.status, 200);
    assert.match(team.body, /Only the owner can invite or remove members/);
    const denied = await member.post('/dashboard/settings/team/invite', { email: 'x@example.test' });
    assert.equal(denied.status, 403);
    assert.match(denied.body, /Only the owner/);
  });

  it('refuses a bad or taken email with a message', async () => {
    const { client, platform } = await owner();
    const bad = await invite(client, 'not an email');
    assert.equal(bad.page.status, 400);
    assert.equal(bad.link, undefined);
    const taken = await invite(client, platform.email);
    assert.equal(taken.page.status, 409);
    assert.match(taken.page.body, /already in your team/);
  });

  it('removing a member ends their sessions at once and they cannot sign in again', async () => {
    const { client } = await owner();
    const email = `leaver-${Date.now()}@example.test`;
    const { link } = await invite(client, email);
    assert.ok(link);
    await accept(link);
    const member = dashboardClient(ctx);
    await member.signIn(email, 'member password 123');
    assert.equal((await member.get('/dashboard/settings/api-keys/sandbox')).status, 200);

    const team = await client.get('/dashboard/settings/team');
    const memberId = new RegExp(`/dashboard/settings/team/(usr_[0-9a-z]+)/remove`).exec(team.body)?.[1];
    assert.ok(memberId);
    const confirm = await client.get(`/dashboard/settings/team/${memberId}/remove`);
    assert.match(confirm.body, /signed out of .* at once/);
    const removed = await client.post(`/dashboard/settings/team/${memberId}/remove`, {});
    assert.equal(removed.status, 303);

    assert.equal((await member.get('/dashboard/settings/api-keys/sandbox')).status, 303);
    assert.equal((await dashboardClient(ctx).signIn(email, 'member password 123')).status, 401);
    assert.equal((await client.get('/dashboard/settings/team')).body.includes(email), false);
  });

  it('nobody removes the owner or themselves, nor a user of another platform', async () => {
    const { client } = await owner();
    const team = await client.get('/dashboard/settings/team');
    const session = await ctx.services.db.core.selectFrom('core.sessions').select('user_id').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
    assert.match(team.body, /\(you\)/);
    const self = await client.post(`/dashboard/settings/team/${session.user_id}/remove`, {});
    assert.equal(self.status, 422);

    const other = await owner();
    const { link } = await invite(other.client, `theirs-${Date.now()}@example.test`);
    assert.ok(link);
    const theirTeam = await other.client.get('/dashboard/settings/team');
    const theirMember = /\/dashboard\/settings\/team\/(usr_[0-9a-z]+)\/remove/.exec(theirTeam.body)?.[1];
    assert.ok(theirMember);
    await client.get('/dashboard/settings/team');
    assert.equal((await client.post(`/dashboard/settings/team/${theirMember}/remove`, {})).status, 404);
    assert.equal((await client.get(`/dashboard/settings/team/${theirMember}/remove`)).status, 404);
  });
});
