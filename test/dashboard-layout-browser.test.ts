// Every dashboard page at 1280px and at 390px (a phone), in a real browser: nothing wider than the window, no table
// wider than its box (`scrollWidth > clientWidth` on the page and on every table's container fails the test), long ids
// shortened with a Copy button; a screenshot of each page at each width in test-results/dashboard-layout/. The pages
// are found by following the dashboard's own links from the first page, one page per kind (ids left out), so pages
// added later are checked without listing them here. Also: "Last used" shows a use at once, before any flush.
// pik-test: engine-independent — a browser measuring the dashboard's pages; their data is the same on either engine
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, launchTestBrowser, type TestBrowser } from './support/browser.ts';
import { createTestConnectedAccount, createTestKey, startTestApp, type TestContext } from './support/context.ts';
import { createDashboardPlatform, testPassword } from './support/dashboard.ts';
import { approveAccount } from './support/ledger.ts';
import { describeOrSkip } from './support/skip.ts';

const shotsDir = path.resolve('test-results/dashboard-layout');
const widths = [1280, 390] as const;

/** The kind of a dashboard page: its path with ids (anything with a digit after the prefix) replaced, query left out. */
function kindOf(url: string): string {
  return new URL(url, 'http://x').pathname.replace(/\/[a-z]+_[0-9a-z]{10,}/g, '/:id');
}

/** What overflows on the page: the page itself, and any table's container. */
function overflows(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth) {
      // The elements that stick out and hold nothing that does: where to look.
      const culprits = [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1 && ![...el.children].some((c) => c.getBoundingClientRect().right > root.clientWidth + 1))
        .slice(0, 3)
        .map((el) => `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ').join('.')}` : ''} (${Math.round(el.getBoundingClientRect().right)}px)`);
      found.push(`the page: ${root.scrollWidth}px wide in a ${root.clientWidth}px window; sticking out: ${culprits.join(', ')}`);
    }
    document.querySelectorAll('table').forEach((table, index) => {
      const box = table.parentElement as HTMLElement;
      if (box.scrollWidth > box.clientWidth) found.push(`table ${index + 1} (${table.querySelector('caption')?.textContent ?? 'no caption'}): ${box.scrollWidth}px in a ${box.clientWidth}px box`);
    });
    return found;
  });
}

describeOrSkip(browserSkip, 'the dashboard at 1280px and 390px: no horizontal overflow on any page', () => {
  let ctx: TestContext;
  let baseUrl: string;
  let browser: TestBrowser | undefined;
  let page: Page;

  before(async () => {
    fs.mkdirSync(shotsDir, { recursive: true });
    // A flush an hour away: "last used" can only come from the usage still in memory.
    ctx = await startTestApp({ keyUsageFlushSeconds: 3600 });
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const address = ctx.app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await launchTestBrowser();
    page = browser.page;
  });

  after(async () => {
    await browser?.close();
    await ctx?.close();
  });

  it('follows every link from the first page and measures each page at both widths', async () => {
    const platform = await createDashboardPlatform(ctx, { name: 'Harbour Widgets Marketplace International', emailName: 'layout' });
    const key = await createTestKey(ctx, platform.id, 'sandbox');
    const call = (method: string, url: string, options: { body?: unknown; onBehalfOf?: string } = {}) =>
      ctx.call(method, url, { key: key.secret, ...options });

    // Data on every page: connected accounts with long names, money moved, requests with long error codes and
    // x-on-behalf-of, a webhook endpoint and its events, a teammate.
    const accounts: string[] = [];
    for (const n of [1, 2]) {
      const id = await createTestConnectedAccount(ctx, { id: platform.id, name: platform.name, keys: { sandbox: key.secret, production: '' }, keyIds: { sandbox: key.id, production: '' } }, 'sandbox', {
        display_name: `Customer number ${n} with a rather long trading name Pty Ltd`,
        reference_id: `customer-reference-${n}-${'x'.repeat(30)}`,
      });
      accounts.push(id);
      await approveAccount(ctx, 'sandbox', id);
    }
    await call('POST', '/api/v1/webhooks', { body: { url: 'https://hooks.example.com/a/rather/long/path/for/the/receiver/of/webhooks', events: ['*'] } });
    for (const account of accounts) {
      const moved = await call('POST', '/api/v1/transfers', { body: { destination_account_id: account, currency: 'AUD', amount: '12.34', reference: `layout-${account}` } });
      assert.equal(moved.status, 201, moved.raw);
    }
    await call('GET', '/api/v1/account', { onBehalfOf: 'acct_01zzzzzzzzzzzzzzzzzzzzzzzz' }); // 404 ACCOUNT_NOT_FOUND
    await call('POST', `/api/v1/accounts/${accounts[0]}/capabilities/fx_conversion`); // 409 CAPABILITY_ALREADY_ACTIVE
    await call('GET', `/api/v1/accounts/${accounts[1]}/wallet/balances`, { onBehalfOf: accounts[1] });
    await ctx.admin('POST', `/admin/v1/platforms/${platform.id}/keys`, { environment: 'production', name: 'Production key for the payments backend service' });

    for (const width of widths) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${baseUrl}/dashboard/sign-in`);
      assert.deepEqual(await overflows(page), [], `sign-in at ${width}px`);
      await page.screenshot({ path: path.join(shotsDir, `sign-in-${width}.png`), fullPage: true });
    }
    await page.goto(`${baseUrl}/dashboard/sign-in`);
    await page.getByLabel('Email').fill(platform.email);
    await page.getByLabel('Password').fill(testPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/dashboard\/settings\/api-keys\//);

    // Breadth first from the first page; one page of each kind.
    const queue = [`${baseUrl}/dashboard`];
    const seen = new Set<string>();
    const problems: string[] = [];
    let visited = 0;
    while (queue.length > 0 && visited < 60) {
      const url = queue.shift() as string;
      const kind = kindOf(url);
      if (seen.has(kind)) continue;
      seen.add(kind);
      visited++;
      for (const width of widths) {
        await page.setViewportSize({ width, height: 900 });
        const response = await page.goto(url);
        assert.ok(response && response.status() < 500, `${url}: ${response?.status()}`);
        for (const problem of await overflows(page)) problems.push(`${kind} at ${width}px: ${problem}`);
        await page.screenshot({ path: path.join(shotsDir, `${kind.replace(/^\/dashboard\/?/, '').replace(/[/:]+/g, '-') || 'home'}-${width}.png`), fullPage: true });
      }
      // Pages only: a link that downloads a file (the audit log's CSV export) has no layout to measure.
      const links = await page.$$eval('a[href^="/dashboard"]:not([download])', (anchors) =>
        anchors.map((a) => (a as HTMLAnchorElement).href).filter((href) => !new URL(href).pathname.endsWith('.csv')),
      );
      for (const link of links) if (!seen.has(kindOf(link)) && !/sign-out/.test(link)) queue.push(link);
    }
    assert.deepEqual(problems, [], problems.join('\n'));
    // The pages this must have reached, whatever else was added since.
    for (const kind of ['/dashboard/settings/api-keys/sandbox', '/dashboard/settings/api-keys/sandbox/:id/requests', '/dashboard/accounts/sandbox', '/dashboard/accounts/sandbox/:id', '/dashboard/settings/team']) {
      assert.ok(seen.has(kind), `${kind} was not reached; reached: ${[...seen].join(', ')}`);
    }
    assert.ok(visited >= 8, `only ${visited} pages`);
  });

  it('long ids in tables are shortened with a Copy button that copies the whole id', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${baseUrl}/dashboard/accounts/sandbox`);
    const first = page.locator('table .id-copy').first();
    const id = (await first.locator('button').getAttribute('data-copy-text')) as string;
    assert.match(id, /^acct_[0-9a-z]{26}$/);
    assert.match(await first.locator('[aria-hidden="true"]').innerText(), /^acct_\w{4}…\w{6}$/);
    assert.equal(await first.locator('code').getAttribute('title'), id);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    await first.locator('button').click();
    await first.getByText('Copied').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), id);
  });

  it('"Last used" shows a use at once, though the next flush is an hour away', async () => {
    await page.goto(`${baseUrl}/dashboard/settings/api-keys/sandbox`);
    const lastUsed = await page.getByTestId('last-used').first().innerText();
    assert.match(lastUsed, /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    assert.doesNotMatch(lastUsed, /Never/);
    await page.getByRole('link', { name: /^Delete/ }).first().click();
    const confirm = await page.locator('main').innerText();
    assert.match(confirm, /Last used: \d{4}-\d\d-\d\d/);
    assert.doesNotMatch(confirm, /Last used: never/);
  });
});
