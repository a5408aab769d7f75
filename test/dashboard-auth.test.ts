// Dashboard sign-in: sessions, cookies, CSRF, sign-out, throttling, set-password links, password changes, headers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashSessionToken } from '../src/domain/users/sessions.ts';
import { startTestApp, type TestContext } from './support/context.ts';
import { createDashboardPlatform, csrfOf, dashboardClient, testPassword } from './support/dashboard.ts';

let ctx: TestContext;

before(async () => {
  ctx = await startTestApp();
});
after(() => ctx.close());

function setCookies(headers: Record<string, unknown>): string[] {
  const value = headers['set-cookie'];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

describe('dashboard sign-in', () => {
  it('a signed-out visitor is sent to the sign-in page', async () => {
    const client = dashboardClient(ctx);
    const home = await client.get('/dashboard');
    assert.equal(home.status, 303);
    assert.equal(home.location, '/dashboard/sign-in');
    const keys = await client.get('/dashboard/settings/api-keys/sandbox');
    assert.equal(keys.status, 303);
    assert.equal(keys.location, '/dashboard/sign-in?next=%2Fdashboard%2Fsettings%2Fapi-keys%2Fsandbox');
  });

  it('serves pages with a strict CSP, the usual security headers, no-store, and no inline script or style', async () => {
    const page = await dashboardClient(ctx).get('/dashboard/sign-in');
    assert.equal(page.status, 200);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['referrer-policy'], 'same-origin');
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.doesNotMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(page.body, /\sstyle=|<style/);
    assert.match(page.body, /<label for="email">Email<\/label>/);
    const css = await ctx.app.inject({ method: 'GET', url: '/dashboard/assets/app.css' });
    assert.equal(css.statusCode, 200);
    assert.match(String(css.headers['content-type']), /text\/css/);
  });

  it('signs in with email and password: an HttpOnly SameSite=Lax session cookie whose token is stored only as a hash', async () => {
    const platform = await createDashboardPlatform(ctx);
    const client = dashboardClient(ctx);
    const result = await client.signIn(platform.email.toUpperCase(), testPassword);
    assert.equal(result.status, 303);
    assert.equal(result.location, '/dashboard');
    const cookie = setCookies(result.headers).find((c) => c.startsWith('pik_session='));
    assert.ok(cookie);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Path=\//);
    assert.doesNotMatch(cookie, /Secure/); // served over http in this test
    const token = client.cookies.get('pik_session') ?? '';
    const rows = await ctx.services.db.core.selectFrom('core.sessions').selectAll().execute();
    assert.ok(rows.some((r) => r.token_hash === hashSessionToken(token)));
    assert.ok(rows.every((r) => r.token_hash !== token));
    const keys = await client.get('/dashboard/settings/api-keys/sandbox');
    assert.equal(keys.status, 200);
    assert.match(keys.body, new RegExp(platform.name));
  });

  it('a wrong password or an unknown email: 401 with the same message, and no session', async () => {
    const platform = await createDashboardPlatform(ctx);
    for (const [email, password] of [
      [platform.email, 'not the password at all'],
      ['nobody-here@example.test', testPassword],
    ] as const) {
      const client = dashboardClient(ctx, '10.0.0.1');
      const result = await client.signIn(email, password);
      assert.equal(result.status, 401);
      assert.match(result.body, /The email or password is not correct/);
      assert.equal(client.cookies.has('pik_session'), false);
    }
  });

  it('no 500 on bad input: empty, huge, repeated and non-form bodies', async () => {
    const client = dashboardClient(ctx, '10.0.0.2');
    await client.get('/dashboard/sign-in');
    assert.equal((await client.post('/dashboard/sign-in', {})).status, 401);
    assert.equal((await client.post('/dashboard/sign-in', { email: 'x'.repeat(5000), password: 'y' })).status, 400);
    const json = await ctx.app.inject({ method: 'POST', url: '/dashboard/sign-in', headers: { 'content-type': 'application/json' }, payload: '{"email":1}' });
    assert.equal(json.statusCode, 415);
    const huge = await ctx.app.inject({
      method: 'POST',
      url: '/dashboard/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `email=${'a'.repeat(40_000)}`,
    });
    assert.equal(huge.statusCode, 413);
    // Signed out, which pages exist is not said: sign in first (test/protected-prefixes.test.ts).
    assert.equal((await client.get('/dashboard/nowhere')).status, 303);
    assert.equal((await ctx.app.inject({ method: 'PUT', url: '/dashboard/sign-in' })).statusCode, 401);
    assert.equal((await client.get('/dashboard/set-password?token=%00%ff')).status, 400);
  });
});

describe('dashboard CSRF', () => {
  it('rejects the sign-in form without the token from its pre-session cookie', async () => {
    const platform = await createDashboardPlatform(ctx);
    const client = dashboardClient(ctx);
    await client.get('/dashboard/sign-in');
    const missing = await client.post('/dashboard/sign-in', { email: platform.email, password: testPassword }, { csrf: null });
    assert.equal(missing.status, 403);
    assert.match(missing.body, /did not come from the dashboard/);
    const stranger = dashboardClient(ctx);
    await stranger.get('/dashboard/sign-in');
    const forged = await client.post('/dashboard/sign-in', { email: platform.email, password: testPassword }, { csrf: stranger.csrf() });
    assert.equal(forged.status, 403);
  });

  it('rejects a signed-in state change without the session-bound token, or from another origin; nothing changes', async () => {
    const platform = await createDashboardPlatform(ctx);
    const client = dashboardClient(ctx);
    assert.equal((await client.signIn(platform.email, testPassword)).status, 303);
    await client.get('/dashboard/settings/api-keys/sandbox');
    const good = client.csrf();
    const other = dashboardClient(ctx);
    await other.signIn(platform.email, testPassword);
    await other.get('/dashboard/settings/api-keys/sandbox');

    const noToken = await client.post('/dashboard/settings/api-keys/sandbox', { name: 'csrf' }, { csrf: null });
    assert.equal(noToken.status, 403);
    const otherSession = await client.post('/dashboard/settings/api-keys/sandbox', { name: 'csrf' }, { csrf: other.csrf() });
    assert.equal(otherSession.status, 403);
    const crossSite = await client.post('/dashboard/settings/api-keys/sandbox', { name: 'csrf' }, { csrf: good, headers: { origin: 'https://evil.example' } });
    assert.equal(crossSite.status, 403);
    const keys = await ctx.services.db.core.selectFrom('core.api_keys').select('id').where('platform_id', '=', platform.id).execute();
    assert.equal(keys.length, 0);

    const ok = await client.post('/dashboard/settings/api-keys/sandbox', { name: 'with token' }, { csrf: good });
    assert.equal(ok.status, 201);
  });
});

describe('dashboard sign-out', () => {
  it('ends the session on the server: the old cookie no longer opens a page or changes anything', async () => {
    const platform = await createDashboardPlatform(ctx);
    const client = dashboardClient(ctx);
    await client.signIn(platform.email, testPassword);
    await client.get('/dashboard/settings/api-keys/sandbox');
    const stolen = client.cookies.get('pik_session') ?? '';
    const csrf = client.csrf();
    const out = await client.post('/dashboard/sign-out', {});
    assert.equal(out.status, 303);
    assert.equal(out.location, '/dashboard/sign-in?signed_out=1');
    assert.equal(client.cookies.has('pik_session'), false);

    const replay = dashboardClient(ctx);
    replay.cookies.set('pik_session', stolen);
    const page = await replay.get('/dashboard/settings/api-keys/sandbox');
    assert.equal(page.status, 303);
    assert.match(page.location ?? '', /^\/dashboard\/sign-in/);
    const post = await replay.post('/dashboard/settings/api-keys/sandbox', { name: 'after sign-out' }, { csrf });
    assert.equal(post.status, 401);
    const keys = await ctx.services.db.core.selectFrom('core.api_keys').select('id').where('platform_id', '=', platform.id).execute();
    assert.equal(keys.length, 0);
  });
});

describe('dashboard sign-in throttling', () => {
  it('per account: after 5 failures even the right password is refused with a clear message', async () => {
    const platform = await createDashboardPlatform(ctx);
    for (let i = 0; i < 5; i++) {
      const result = await dashboardClient(ctx, `10.1.0.${i}`).signIn(platform.email, `wrong password ${i}`);
      assert.equal(result.status, 401);
    }
    const blocked = await dashboardClient(ctx, '10.1.1.1').signIn(platform.email, testPassword);
    assert.equal(blocked.status, 429);
    assert.equal(blocked.headers['retry-after'], '900');
    assert.match(blocked.body, /Too many failed sign-in attempts for this email. Wait 15 minutes/);
  });

  it('per IP: many failures over different emails block that IP only', async () => {
    const platform = await createDashboardPlatform(ctx);
    const ip = '10.2.0.1';
    for (let i = 0; i < 30; i++) {
      const client = dashboardClient(ctx, ip);
      await client.get('/dashboard/sign-in');
      const result = await client.post('/dashboard/sign-in', { email: `spray-${i}@example.test`, password: 'Summer2026!!' });
      assert.equal(result.status, 401);
    }
    const blocked = await dashboardClient(ctx, ip).signIn(platform.email, testPassword);
    assert.equal(blocked.status, 429);
    assert.match(blocked.body, /from your network/);
    const elsewhere = await dashboardClient(ctx, '10.2.0.2').signIn(platform.email, testPassword);
    assert.equal(elsewhere.status, 303);
  });
});

describe('one-time set-password link (platforms create without --owner-password)', () => {
  it('sets the password once; the link then stops working', async () => {
    const platform = await createDashboardPlatform(ctx, { withPassword: false });
    assert.ok(platform.setPasswordUrl);
    const url = new URL(platform.setPasswordUrl);
    assert.equal(url.pathname, '/dashboard/set-password');
    const token = url.searchParams.get('token') ?? '';
    const client = dashboardClient(ctx);
    assert.equal((await client.signIn(platform.email, testPassword)).status, 401); // no password yet

    const form = await client.get(`${url.pathname}${url.search}`);
    assert.equal(form.status, 200);
    assert.match(form.body, /Set your password/);
    assert.ok(csrfOf(form.body));
    const mismatch = await client.post('/dashboard/set-password', { token, new_password: testPassword, confirm_password: 'something else entirely' });
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.body, /not the same/);
    const short = await client.post('/dashboard/set-password', { token, new_password: 'short', confirm_password: 'short' });
    assert.equal(short.status, 400);
    assert.match(short.body, /at least 12 characters/);
    const done = await client.post('/dashboard/set-password', { token, new_password: testPassword, confirm_password: testPassword });
    assert.equal(done.status, 303);
    assert.equal(done.location, '/dashboard/sign-in?password_set=1');

    assert.equal((await dashboardClient(ctx).signIn(platform.email, testPassword)).status, 303);
    const again = await client.get(`${url.pathname}${url.search}`);
    assert.equal(again.status, 400);
    assert.match(again.body, /already used, has expired/);
    const replay = await client.post('/dashboard/set-password', { token, new_password: 'another long password', confirm_password: 'another long password' });
    assert.equal(replay.status, 400);
  });
});

describe('change password', () => {
  it('needs the current password, then ends the other sessions and keeps this one', async () => {
    const platform = await createDashboardPlatform(ctx);
    const client = dashboardClient(ctx);
    const elsewhere = dashboardClient(ctx);
    await client.signIn(platform.email, testPassword);
    await elsewhere.signIn(platform.email, testPassword);
    await client.get('/dashboard/settings/password');
    const wrong = await client.post('/dashboard/settings/password', { current_password: 'not it at all', new_password: 'a brand new passphrase', confirm_password: 'a brand new passphrase' });
    assert.equal(wrong.status, 403);
    assert.match(wrong.body, /current password is not correct/);
    const ok = await client.post('/dashboard/settings/password', { current_password: testPassword, new_password: 'a brand new passphrase', confirm_password: 'a brand new passphrase' });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /Your password is changed/);
    assert.equal((await client.get('/dashboard/settings/password')).status, 200);
    assert.equal((await elsewhere.get('/dashboard/settings/password')).status, 303);
    assert.equal((await dashboardClient(ctx).signIn(platform.email, testPassword)).status, 401);
    assert.equal((await dashboardClient(ctx).signIn(platform.email, 'a brand new passphrase')).status, 303);
  });
});

describe('dashboard over HTTPS', () => {
  it('uses __Host- cookies with Secure, and HSTS', async () => {
    const secure = await startTestApp({ publicUrl: 'https://pik.example.test' });
    try {
      const platform = await createDashboardPlatform(secure);
      const client = dashboardClient(secure);
      const page = await client.get('/dashboard/sign-in');
      assert.match(String(page.headers['strict-transport-security']), /max-age=/);
      const result = await client.post('/dashboard/sign-in', { email: platform.email, password: testPassword });
      assert.equal(result.status, 303);
      const cookie = setCookies(result.headers).find((c) => c.startsWith('__Host-pik_session='));
      assert.ok(cookie);
      assert.match(cookie, /Secure/);
      assert.match(cookie, /HttpOnly/);
    } finally {
      await secure.close();
    }
  });
});
