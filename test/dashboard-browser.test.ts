// End to end in a real browser (Debian's Chromium via playwright-core): the key rotation of the starting document.
// pik-test: engine-independent — a browser driving the dashboard's pages; the server-side flows it reaches run on PostgreSQL in dashboard-keys and dashboard-auth
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, launchTestBrowser, type TestBrowser } from './support/browser.ts';
import { createTestKey, startTestApp, type TestContext } from './support/context.ts';
import { createDashboardPlatform, testPassword } from './support/dashboard.ts';
import { describeOrSkip } from './support/skip.ts';

const shotsDir = path.resolve('test-results/dashboard');
const skip = browserSkip;

describeOrSkip(skip, 'dashboard in a browser: sign in → generate → use → last used → delete → 401', () => {
  let ctx: TestContext;
  let baseUrl: string;
  let browser: TestBrowser | undefined;
  let page: Page;
  let step = 0;
  // Any console error — a CSP violation, a failed asset, a script error — fails the test.
  let consoleErrors: string[] = [];

  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: path.join(shotsDir, `${String(++step).padStart(2, '0')}-${name}.png`), fullPage: true });
  };
  const api = (key: string) => fetch(`${baseUrl}/api/v1/account`, { headers: { authorization: `Bearer ${key}` } });

  before(async () => {
    fs.mkdirSync(shotsDir, { recursive: true });
    ctx = await startTestApp({ keyUsageFlushSeconds: 1 });
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const address = ctx.app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await launchTestBrowser();
    page = browser.page;
    consoleErrors = browser.consoleErrors;
  });

  after(async () => {
    await browser?.close();
    await ctx?.close();
  });

  it('does the whole rotation in the browser', async () => {
    const platform = await createDashboardPlatform(ctx, { name: 'Acme Marketplace', emailName: 'dana' });
    // An existing key in use, as a platform mid-rotation would have.
    const old = await createTestKey(ctx, platform.id, 'sandbox'); // named "Sandbox key" by the operator
    assert.equal((await api(old.secret)).status, 200);

    // A wrong password first: a clear message, still on the sign-in page.
    await page.goto(`${baseUrl}/dashboard`);
    await page.getByLabel('Email').fill(platform.email);
    await page.getByLabel('Password').fill('this is not my password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('The email or password is not correct.').waitFor();
    await shot('sign-in-wrong-password');

    // Keyboard only: the password field has focus after the error; Enter submits.
    await page.keyboard.type(testPassword);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/dashboard\/settings\/api-keys\//);
    // The first Tab reaches the skip link, and focus is visible.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    assert.notEqual(await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle), 'none');

    // Settings > API Keys > Sandbox, reached through the navigation.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API Keys' }).click();
    await page.getByRole('navigation', { name: 'Environment' }).getByRole('link', { name: 'Sandbox' }).click();
    await page.waitForURL(/\/api-keys\/sandbox$/);
    await shot('api-keys-sandbox');

    // Generate: the full secret, once, with a copy button and the warning.
    await page.getByLabel('Key name').fill('Backend rotation 2026');
    await page.getByRole('button', { name: 'Generate sandbox key' }).click();
    await page.getByText('It will not be shown again.').waitFor();
    const secret = await page.getByTestId('new-key-secret').inputValue();
    assert.match(secret, /^pik_test_[0-9A-Za-z]{38}$/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await shot('key-generated-shown-once');

    // The new key works on GET /api/v1/account.
    const works = await api(secret);
    assert.equal(works.status, 200);
    assert.equal(((await works.json()) as { id: string }).id, platform.id);

    // Its "last used" updates (the recorder flushes every second); the secret never comes back.
    const row = page.locator('tr', { hasText: 'Backend rotation 2026' });
    let lastUsed = '';
    for (let attempt = 0; attempt < 20 && !/UTC/.test(lastUsed); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await page.goto(`${baseUrl}/dashboard/settings/api-keys/sandbox`);
      lastUsed = await row.getByTestId('last-used').innerText();
    }
    assert.match(lastUsed, /UTC[\s\S]*from 127\.0\.0\.1/);
    assert.equal((await page.content()).includes(secret), false);
    await shot('last-used-updated');
    await page.screenshot({ path: path.join(shotsDir, 'dashboard-api-keys.png') });

    // The request log for the key shows the call, without any secret.
    await row.getByRole('link', { name: /Requests/ }).click();
    await page.getByRole('cell', { name: '/api/v1/account' }).first().waitFor();
    assert.equal((await page.content()).includes(secret), false);
    await shot('key-request-log');

    // Delete, with confirmation; the key stops working at once.
    await page.goto(`${baseUrl}/dashboard/settings/api-keys/sandbox`);
    await row.getByRole('link', { name: /Delete/ }).click();
    await page.getByRole('heading', { name: /Delete “Backend rotation 2026”/ }).waitFor();
    await shot('delete-confirmation');
    await page.getByRole('button', { name: 'Delete key' }).click();
    await page.getByText(/Deleted “Backend rotation 2026”/).waitFor();
    await shot('key-deleted');

    const revoked = await api(secret);
    assert.equal(revoked.status, 401);
    assert.equal(((await revoked.json()) as { error: { code: string } }).error.code, 'API_KEY_REVOKED');
    assert.equal((await api(old.secret)).status, 200); // the other key is untouched

    // The other pages render under the CSP too.
    await page.getByRole('navigation', { name: 'Environment' }).getByRole('link', { name: 'Production' }).click();
    await page.getByLabel('Your password').waitFor();
    await shot('api-keys-production');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Accounts' }).click();
    await page.getByRole('heading', { name: 'Accounts' }).waitFor();
    await shot('accounts');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Team' }).click();
    await page.getByLabel('Email').fill('sam@example.test');
    await page.getByRole('button', { name: 'Create invitation link' }).click();
    await page.getByText('it will not be shown again').waitFor();
    await shot('team-invitation');
    assert.deepEqual(consoleErrors, []);
  });
});
