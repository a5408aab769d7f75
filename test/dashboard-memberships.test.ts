// One person, several platforms: inviting an email that signs in elsewhere answers exactly as for a new email, the
// person accepts with the password they have (never a new one set through the link), and switches between platforms.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openPglite } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { startTestApp, type TestContext } from './support/context.ts';
import { createDashboardPlatform, dashboardClient, inviteFromTeamPage, signedInOwner, testPassword, type DashboardClient, type PageResult } from './support/dashboard.ts';

let ctx: TestContext;
before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

const owner = () => signedInOwner(ctx);

async function invite(client: DashboardClient, email: string) {
  const { page, link } = await inviteFromTeamPage(client, email);
  return { page, link: link ? new URL(link) : undefined };
}

async function useLink(link: URL, password: string, client = dashboardClient(ctx)): Promise<PageResult> {
  await client.get(`${link.pathname}${link.search}`);
  return client.post('/dashboard/set-password', { token: link.searchParams.get('token') ?? '', new_password: password, confirm_password: password });
}

/** A page with what legitimately differs between two runs replaced: tokens, ids, times, and the names given. */
function normalise(body: string, names: Record<string, string>): string {
  let out = body;
  for (const [value, placeholder] of Object.entries(names)) out = out.split(value).join(placeholder);
  return out
    .replace(/name="csrf" value="[^"]+"/g, 'name="csrf" value="CSRF"')
    .replace(/token=[0-9A-Za-z]+/g, 'token=TOKEN')
    .replace(/name="token" value="[^"]+"/g, 'name="token" value="TOKEN"')
    .replace(/\b(usr|acct)_[0-9a-z]+/g, '$1_ID')
    .replace(/<time datetime="[^"]+">.*?<\/time>/g, '<time>TIME</time>');
}

interface EmailForm {
  page: string;
  action: string;
  fields: { name: string; type: string; value: string }[];
}

/** Every POST form on a page that has an email input, with its fields as the page renders them. */
function emailForms(page: string, body: string): EmailForm[] {
  return [...body.matchAll(/<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)].flatMap(([, action, inner]) => {
    const fields = [...(inner ?? '').matchAll(/<input ([^>]*)>/g)].map(([, attributes]) => ({
      name: /name="([^"]+)"/.exec(attributes ?? '')?.[1] ?? '',
      type: /type="([^"]+)"/.exec(attributes ?? '')?.[1] ?? 'text',
      value: /value="([^"]*)"/.exec(attributes ?? '')?.[1] ?? '',
    }));
    return fields.some((f) => f.type === 'email') ? [{ page, action: action ?? '', fields }] : [];
  });
}

function fill(form: EmailForm, email: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const f of form.fields) {
    if (!f.name || f.name === 'csrf') continue;
    values[f.name] = f.type === 'email' ? email : f.type === 'password' ? 'not the password 123' : f.value;
  }
  return values;
}

describe('"does this email have an account elsewhere?" is answered by no dashboard form', () => {
  it('every form taking an email answers the same (status and page) for an email of another platform and for an unknown one', async () => {
    const elsewhere = await createDashboardPlatform(ctx, { emailName: 'elsewhere' }); // its owner signs in to another platform
    const unknown = `nobody-${Date.now()}@example.test`;

    // Find the forms as a visitor and as an owner would: the sign-in page, and every page of the navigation.
    const probe = await owner();
    const signedOutPages = ['/dashboard/sign-in'];
    const signedInPages = ['/dashboard/settings/api-keys/sandbox', '/dashboard/settings/api-keys/production', '/dashboard/accounts/sandbox', '/dashboard/settings/team', '/dashboard/settings/password'];
    const forms: (EmailForm & { signedIn: boolean })[] = [];
    for (const page of signedOutPages) forms.push(...emailForms(page, (await dashboardClient(ctx).get(page)).body).map((f) => ({ ...f, signedIn: false })));
    for (const page of signedInPages) {
      const result = await probe.client.get(page);
      assert.equal(result.status, 200, page);
      forms.push(...emailForms(page, result.body).map((f) => ({ ...f, signedIn: true })));
    }
    assert.deepEqual(forms.map((f) => f.action).sort(), ['/dashboard/settings/team/invite', '/dashboard/sign-in'], 'the forms that take an email');

    for (const form of forms) {
      const answers = [];
      for (const email of [elsewhere.email, unknown]) {
        // A fresh visitor, or a fresh owner of a fresh platform, for each email, so the two runs start alike.
        const actor = form.signedIn ? await owner() : { client: dashboardClient(ctx), platform: undefined };
        await actor.client.get(form.page);
        const result = await actor.client.post(form.action, fill(form, email));
        const names: Record<string, string> = { [email]: 'EMAIL' };
        if (actor.platform) Object.assign(names, { [actor.platform.email]: 'OWNER', [actor.platform.name]: 'PLATFORM' });
        answers.push({ status: result.status, location: result.location, body: normalise(result.body, names) });
      }
      assert.deepEqual(answers[0], answers[1], `${form.action} answers differently for an email of another platform`);
      if (form.action.endsWith('/invite')) assert.equal(answers[0]?.status, 201);
    }
  });

  it('the invitation link opens the same page for an email of another platform as for an unknown one', async () => {
    const elsewhere = await createDashboardPlatform(ctx, { emailName: 'linked' });
    const pages = [];
    for (const email of [elsewhere.email, `fresh-${Date.now()}@example.test`]) {
      const { client, platform } = await owner();
      const { link } = await invite(client, email);
      assert.ok(link);
      const page = await dashboardClient(ctx).get(`${link.pathname}${link.search}`);
      pages.push({ status: page.status, body: normalise(page.body, { [email]: 'EMAIL', [platform.name]: 'PLATFORM' }) });
    }
    assert.deepEqual(pages[0], pages[1]);
  });
});

describe('one person in several platforms', () => {
  it('an invited person who signs in elsewhere accepts with their own password, then switches between the platforms', async () => {
    const person = await createDashboardPlatform(ctx, { name: 'Alpha Home', emailName: 'multi' });
    const { client: ownerB, platform: b } = await owner();
    const { page, link } = await invite(ownerB, person.email);
    assert.equal(page.status, 201);
    assert.ok(link);

    // Whoever holds the link (the inviting owner does) cannot set a password for someone who already has one.
    const takeover = await useLink(link, 'owner b chose this one');
    assert.equal(takeover.status, 403);
    assert.match(takeover.body, /password is not correct/);
    assert.equal((await dashboardClient(ctx).signIn(person.email, 'owner b chose this one')).status, 401);

    const accepted = await useLink(link, testPassword);
    assert.equal(accepted.status, 303);
    assert.equal(accepted.location, '/dashboard/sign-in?password_set=1');
    const team = await ownerB.get('/dashboard/settings/team');
    assert.match(team.body, new RegExp(`${person.email}</th>\\s*<td>Member</td>\\s*<td><span class="badge badge-success">Active`));

    const client = dashboardClient(ctx);
    assert.equal((await client.signIn(person.email, testPassword)).status, 303, 'the password they had still works');
    const home = await client.get('/dashboard/settings/team');
    assert.match(home.body, /name="platform_id"/);
    assert.match(home.body, /Alpha Home/);
    assert.match(home.body, new RegExp(b.name));
    const staleCsrf = client.csrf();

    const switched = await client.post('/dashboard/switch-platform', { platform_id: b.id });
    assert.equal(switched.status, 303);
    const inB = await client.get('/dashboard/settings/team');
    assert.match(inB.body, new RegExp(`<option value="${b.id}" selected>`));
    assert.match(inB.body, /Only the owner can invite or remove members/, 'a member in B, whatever they are in A');
    assert.equal((await client.post('/dashboard/settings/team/invite', { email: 'x@example.test' }, { csrf: staleCsrf })).status, 403, "a form of the other platform's page is refused");
    assert.equal((await client.post('/dashboard/switch-platform', { platform_id: (await createDashboardPlatform(ctx)).id })).status, 404);
    assert.equal((await client.post('/dashboard/switch-platform', { platform_id: person.id })).status, 303);
    assert.match((await client.get('/dashboard/settings/team')).body, /Invite a teammate/, 'back in A, as its owner');
  });

  it("removing the person from one platform ends their sessions there only; they still sign in to the other", async () => {
    const person = await createDashboardPlatform(ctx, { emailName: 'removed' });
    const { client: ownerB, platform: b } = await owner();
    const { link } = await invite(ownerB, person.email);
    assert.ok(link);
    assert.equal((await useLink(link, testPassword)).status, 303);

    const signedIn = async (platformId: string) => {
      const client = dashboardClient(ctx);
      await client.signIn(person.email, testPassword);
      await client.get('/dashboard/settings/team'); // a page, for its CSRF token
      assert.equal((await client.post('/dashboard/switch-platform', { platform_id: platformId })).status, 303);
      return client;
    };
    const inB = await signedIn(b.id);
    const inA = await signedIn(person.id);

    const team = await ownerB.get('/dashboard/settings/team');
    const personId = /\/dashboard\/settings\/team\/(usr_[0-9a-z]+)\/remove/.exec(team.body)?.[1];
    assert.ok(personId);
    assert.equal((await ownerB.post(`/dashboard/settings/team/${personId}/remove`, {})).status, 303);

    assert.equal((await inB.get('/dashboard/settings/team')).status, 303, 'signed out of B at once');
    assert.equal((await inA.get('/dashboard/settings/team')).status, 200, 'still in A');
    const again = dashboardClient(ctx);
    assert.equal((await again.signIn(person.email, testPassword)).status, 303);
    assert.doesNotMatch((await again.get('/dashboard/settings/team')).body, /name="platform_id"/, 'one platform left: no switcher');
    assert.equal((await again.post('/dashboard/switch-platform', { platform_id: b.id })).status, 404);
  });
});

describe('migration 0010', () => {
  it('turns each user into a person with one membership, keeping roles, invitations and removals', async () => {
    const db = await openPglite();
    try {
      await migrate(db, { through: '0009_identity_encryption' });
      await sql`insert into core.platforms (id, name) values ('acct_p', 'P')`.execute(db.core);
      await sql`insert into core.users (id, platform_id, email, password_hash, role, created_at, removed_at) values
        ('usr_owner', 'acct_p', 'owner@example.test', 'hash', 'owner', '2025-01-01', null),
        ('usr_invited', 'acct_p', 'invited@example.test', null, 'member', '2025-01-02', null),
        ('usr_gone', 'acct_p', 'gone@example.test', 'hash', 'member', '2025-01-03', '2025-02-01')`.execute(db.core);
      await sql`insert into core.password_tokens (token_hash, user_id, purpose, expires_at) values ('h', 'usr_invited', 'invite', '2030-01-01')`.execute(db.core);
      await migrate(db);
      const memberships = await db.core.selectFrom('core.memberships').selectAll().orderBy('user_id').execute();
      assert.deepEqual(
        memberships.map((m) => [m.user_id, m.platform_id, m.role, m.accepted_at !== null, m.removed_at !== null]),
        [
          ['usr_gone', 'acct_p', 'member', true, true],
          ['usr_invited', 'acct_p', 'member', false, false],
          ['usr_owner', 'acct_p', 'owner', true, false],
        ],
      );
      assert.equal((await db.core.selectFrom('core.password_tokens').select('platform_id').executeTakeFirstOrThrow()).platform_id, 'acct_p');
    } finally {
      await db.close();
    }
  });
});
