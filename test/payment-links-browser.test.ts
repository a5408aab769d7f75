// The hosted payment page in a real browser (Debian's Chromium via playwright-core), at 390 px and 1280 px: amounts and
// bank details readable, the QR code drawn, the status changing by itself after a simulated payment, the redirect,
// no CSP violation, no internal id but the link's. Screenshots go to test-results/payment-links/; with
// PIK_UPDATE_DOCS=1 they replace the ones in docs/ (the page as a payer sees it), so a plain test run leaves the
// checked-in files alone.
// pik-test: engine-independent — a browser driving the hosted page; the server-side flows it reaches run on PostgreSQL in payment-links-page
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, launchTestBrowser, type TestBrowser } from './support/browser.ts';
import { startTestApp, type TestContext } from './support/context.ts';
import { createDashboardPlatform, testPassword } from './support/dashboard.ts';
import { createLink, createPayee, type Payee } from './support/payment-links.ts';
import { describeOrSkip } from './support/skip.ts';

const docs = path.resolve(process.env.PIK_UPDATE_DOCS === '1' ? 'docs' : 'test-results/payment-links');

describeOrSkip(browserSkip, 'the hosted payment page in a browser', () => {
  let ctx: TestContext;
  let payee: Payee;
  let baseUrl: string;
  let browser: TestBrowser | undefined;
  let page: Page;

  before(async () => {
    fs.mkdirSync(docs, { recursive: true });
    ctx = await startTestApp();
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const address = ctx.app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    payee = await createPayee(ctx);
    browser = await launchTestBrowser();
    page = browser.page;
  });
  after(async () => {
    await browser?.close();
    await ctx?.close();
  });

  const widths = [390, 1280] as const;

  async function assertReadable(width: number): Promise<void> {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling at ${width} px (${overflow} px too wide)`);
    const smallest = await page.evaluate(() => Math.min(...[...document.querySelectorAll('dd, p, h1, h2, dt')].map((e) => parseFloat(getComputedStyle(e).fontSize))));
    assert.ok(smallest >= 13, `text at least 13 px at ${width} px (${smallest})`);
  }

  async function assertNoInternals(linkId: string): Promise<void> {
    const html = await page.content();
    const ids = [...html.matchAll(/\b(acct|key|usr|txn|tr|po|van|dep|pay|uf|we|wd|wa|evt|req|sess|pl)_[0-9a-z]{26}\b/g)].map((m) => m[0]);
    assert.deepEqual([...new Set(ids)], [linkId]);
    for (const secret of [payee.platform.keys.sandbox, payee.platform.keys.production, payee.platform.id, payee.account, 'whsec_', 'sk_test_', 'pikop_']) assert.ok(!html.includes(secret), secret);
  }

  it('AUD at both widths: the amount, BSB, account number, account name and reference, copy buttons; then paid, live, and back to the merchant', async () => {
    const link = await createLink(payee, { amount: '149.95', merchant_name: 'Acme Plumbing', single_use: true, redirect_url: `${baseUrl}/health`, webhook_url: 'https://hooks.example.com/acme' });
    const van = (await payee.call('GET', `/api/v1/accounts/${payee.account}/virtual-account`)).body;
    for (const width of widths) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${baseUrl}/pay/${link.id}`);
      await page.getByRole('heading', { name: 'Acme Plumbing' }).waitFor();
      assert.equal(await page.locator('#pay-amount').innerText(), '149.95');
      for (const text of [van.bsb, van.account_number, van.account_name]) assert.ok(await page.getByText(text, { exact: true }).first().isVisible(), text);
      assert.ok(await page.getByText(link.reference, { exact: true }).first().isVisible());
      assert.ok((await page.getByRole('button', { name: /^Copy/ }).count()) >= 5);
      assert.equal(await page.locator('#pay-state-text').innerText(), 'Waiting for your payment');
      await assertReadable(width);
      await assertNoInternals(link.id);
      await page.screenshot({ path: path.join(docs, `payment-page-aud-${width}.png`), fullPage: true });
    }
    // Copy puts the value on the clipboard (or says to select it where the clipboard is not allowed).
    // (The clipboard answers asynchronously: wait for the button to say how it went.)
    await page.getByRole('button', { name: 'Copy bsb' }).click();
    await page.getByRole('button', { name: 'Copy bsb' }).filter({ hasText: /Copied|Select it/ }).waitFor({ timeout: 10_000 });
    assert.match(await page.getByRole('button', { name: 'Copy bsb' }).innerText(), /Copied|Select it/);

    // Part paid, then paid: the page follows by itself (it polls /pay/{id}/status), then returns the payer.
    await payee.call('POST', `/api/v1/sandbox/payments/${link.open_payment_id}/simulate`, { status: 'underpaid', amount_received: '100.00' });
    await page.locator('#pay-state-text', { hasText: 'Part of the amount has arrived' }).waitFor({ timeout: 10_000 });
    assert.match(await page.locator('#pay-state-detail').innerText(), /Received 100\.00 AUD/);
    await payee.call('POST', `/api/v1/sandbox/payments/${link.open_payment_id}/simulate`, { status: 'settled' });
    await page.locator('#pay-state-text', { hasText: 'Payment received' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.getByText(van.account_number, { exact: true }).first().isVisible(), false, 'no details to pay to once paid');
    await page.screenshot({ path: path.join(docs, 'payment-page-paid-390.png'), fullPage: true });
    await page.waitForURL(`${baseUrl}/health`, { timeout: 10_000 });
    assert.deepEqual(browser?.consoleErrors, []);
  });

  it('USDC at both widths: the Solana address and a QR code that is drawn, with a Solana Pay link', async () => {
    const link = await createLink(payee, { currency: 'USDC', amount: '25.000000', merchant_name: 'Acme Plumbing' });
    for (const width of widths) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${baseUrl}/pay/${link.id}`);
      const qr = page.locator('#pay-qr');
      await qr.waitFor();
      const drawn = await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0);
      assert.ok(drawn, 'the QR code loaded');
      const box = await qr.boundingBox();
      assert.ok(box && box.width >= 200, 'large enough to scan');
      const href = await page.getByRole('link', { name: 'Open in wallet' }).getAttribute('href');
      assert.match(href as string, /^solana:[1-9A-HJ-NP-Za-km-z]{32,44}\?amount=25&spl-token=EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v&reference=/);
      assert.equal(await page.locator('#pay-amount').innerText(), '25.000000');
      await assertReadable(width);
      await assertNoInternals(link.id);
      await page.screenshot({ path: path.join(docs, `payment-page-usdc-${width}.png`), fullPage: true });
    }
    // Expired while the payer looks at it: the page says so by itself.
    await payee.call('POST', `/api/v1/sandbox/payments/${link.open_payment_id}/simulate`, { status: 'expired' });
    await page.locator('#pay-state-text', { hasText: 'This payment link has expired' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('#pay-qr').isVisible(), false);
    await page.setViewportSize({ width: 390, height: 900 });
    await page.goto(`${baseUrl}/pay/${link.id}`);
    await page.getByRole('heading', { name: 'This payment link has expired' }).waitFor();
    await page.screenshot({ path: path.join(docs, 'payment-page-expired-390.png'), fullPage: true });
    assert.deepEqual(browser?.consoleErrors, []);
  });

  it('the dashboard lists the links (Payments › Payment Links)', async () => {
    const platform = await createDashboardPlatform(ctx, { name: 'Acme Marketplace', emailName: 'links' });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${baseUrl}/dashboard`);
    await page.getByLabel('Email').fill(platform.email);
    await page.getByLabel('Password').fill(testPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/dashboard\/settings\/api-keys\//);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Payment Links' }).click();
    await page.waitForURL(/\/dashboard\/payments\/links\/sandbox$/);
    await page.getByLabel('Currency').selectOption('USDC');
    await page.getByLabel('Fixed amount').fill('49.000000');
    await page.getByLabel(/^Reference/).fill('ORDER-7');
    await page.getByRole('button', { name: 'Create payment link' }).click();
    await page.getByText('Payment link created.').waitFor();
    await page.getByRole('link', { name: 'Payment links' }).first().click();
    await page.getByRole('link', { name: 'ORDER-7' }).waitFor();
    await page.screenshot({ path: path.join(docs, 'dashboard-payment-links.png'), fullPage: true });
    assert.deepEqual(browser?.consoleErrors, []);
  });
});
