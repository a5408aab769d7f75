// End to end in a real browser (Debian's Chromium via playwright-core): generate a restricted key with an allowlist,
// roll it with a 24-hour grace, and edit a production key's allowlist (which asks for the password again).
// pik-test: engine-independent — a browser driving the dashboard's key pages; the server-side flows run on both engines in key-controls and key-allowlist
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, startBrowserSession, type BrowserSession } from './support/browser.ts';
import type { TestContext } from './support/context.ts';
import { createDashboardPlatform, testPassword } from './support/dashboard.ts';
import { describeOrSkip } from './support/skip.ts';

const shotsDir = path.resolve('test-results/dashboard-keys');

describeOrSkip(browserSkip, 'dashboard in a browser: restricted key → roll with grace → production allowlist with password', () => {
  let session: BrowserSession | undefined;
  let ctx: TestContext;
  let baseUrl: string;
  let page: Page;
  let platformId: string;
  const shot = (name: string) => (session as BrowserSession).shot(name);
  const account = (key: string) => fetch(`${baseUrl}/api/v1/account`, { headers: { authorization: `Bearer ${key}` } }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { code: string } } }));

  before(async () => {
    session = await startBrowserSession(shotsDir);
    ({ ctx, baseUrl, page } = session);
    const platform = await createDashboardPlatform(ctx, { name: 'Keys Co', emailName: 'keys' });
    platformId = platform.id;
    await page.goto(`${baseUrl}/dashboard`);
    await page.getByLabel('Email').fill(platform.email);
    await page.getByLabel('Password').fill(testPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/dashboard\/settings\/api-keys\//);
  });

  after(() => session?.close());

  it('generates a restricted key with an allowlist, then rolls it: successor shown once, old key expiring in 23 h', async () => {
    await page.goto(`${baseUrl}/dashboard/settings/api-keys/sandbox`);
    await page.getByLabel('Key name').fill('Reporting');
    await page.getByRole('radio', { name: /Restricted/ }).check();
    await page.getByLabel('Balances: read').check();
    await page.getByLabel('Payouts: write').check();
    await page.getByRole('textbox', { name: /IP allowlist/ }).fill('127.0.0.1\n2001:db8::/32');
    await shot('generate-restricted');
    await page.getByRole('button', { name: 'Generate sandbox key' }).click();
    const first = await page.getByTestId('new-key-secret').inputValue();
    assert.match(first, /^pik_test_/);
    const row = page.locator('tr', { hasText: 'Reporting' }).first();
    await row.getByText('Restricted').waitFor();
    assert.match(await row.getByTestId('restrictions').innerText(), /balances read, payouts write[\s\S]*IP allowlist \(2\)/);
    assert.equal((await account(first)).body.error?.code, 'KEY_PERMISSION_DENIED', 'accounts is not granted');

    await row.getByRole('link', { name: /Roll key/ }).click();
    await page.getByRole('heading', { name: /Roll “Reporting”/ }).waitFor();
    assert.equal(await page.getByLabel('In 24 hours').isChecked(), true);
    await shot('roll-choices');
    await page.getByRole('button', { name: 'Roll key' }).click();
    const successor = await page.getByTestId('new-key-secret').inputValue();
    assert.notEqual(successor, first);
    await page.getByTestId('roll-notice').waitFor();
    const old = page.locator('tr', { has: page.getByTestId('rolled-to') });
    assert.match(await old.getByTestId('expiry').innerText(), /expires in 23 h/);
    assert.match(await page.locator('tr', { has: page.getByTestId('rolled-from') }).innerText(), /Reporting[\s\S]*Restricted[\s\S]*IP allowlist \(2\)/);
    await shot('rolled');
    // Both keys work during the grace period (as far as their shared permissions allow).
    for (const key of [first, successor]) assert.equal((await account(key)).body.error?.code, 'KEY_PERMISSION_DENIED');
    const keys = await ctx.admin('GET', `/admin/v1/platforms/${platformId}/keys?environment=sandbox`);
    const rolled = keys.body.data.filter((k: { name: string }) => k.name === 'Reporting');
    assert.equal(rolled.length, 2);
    assert.deepEqual(rolled.map((k: { permissions: unknown }) => k.permissions), [{ balances: 'read', payouts: 'write' }, { balances: 'read', payouts: 'write' }]);
  });

  it('edits a production key’s allowlist: the password is asked again, a bad entry is named, the change applies at once', async () => {
    const live = await ctx.admin('POST', `/admin/v1/platforms/${platformId}/keys`, { environment: 'production', name: 'Live backend' });
    assert.equal((await account(live.body.secret)).status, 200);
    await page.goto(`${baseUrl}/dashboard/settings/api-keys/production`);
    await page.locator('tr', { hasText: 'Live backend' }).getByRole('link', { name: /IP allowlist/ }).click();
    await page.getByTestId('allowlist-current').getByText('any address').waitFor();
    await page.getByLabel('Addresses and ranges').fill('203.0.113.0/24\nnot-an-ip');
    await page.getByLabel('Your password').fill(testPassword);
    await page.getByRole('button', { name: 'Save allowlist' }).click();
    await page.getByRole('alert').getByText('allowed_ips[1]').waitFor();
    await page.getByLabel('Addresses and ranges').fill('203.0.113.0/24');
    await page.getByLabel('Your password').fill('wrong password');
    await page.getByRole('button', { name: 'Save allowlist' }).click();
    await page.getByRole('alert').getByText(/password is not correct/).waitFor();
    await page.getByLabel('Your password').fill(testPassword);
    await page.getByRole('button', { name: 'Save allowlist' }).click();
    await page.getByText('Saved.').waitFor();
    assert.match(await page.getByTestId('allowlist-current').innerText(), /203\.0\.113\.0\/24/);
    await shot('allowlist-saved');
    const refused = await account(live.body.secret);
    assert.deepEqual([refused.status, refused.body.error?.code], [403, 'IP_NOT_ALLOWED'], 'this test calls from 127.0.0.1, outside the list');
    assert.deepEqual(session?.consoleErrors, []);
  });
});
