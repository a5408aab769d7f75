// End to end in a real browser (Debian's Chromium via playwright-core): add a sandbox webhook endpoint, send a test
// event to a local receiver, read the delivery and the event's payload.
// pik-test: engine-independent — a browser driving the dashboard's webhook pages; the server-side flows it reaches run on PostgreSQL in dashboard-webhooks and webhooks
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import type { Page } from 'playwright-core';
import { browserSkip, launchTestBrowser, type TestBrowser } from './support/browser.ts';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../src/config.ts';
import { startTestApp, type TestContext } from './support/context.ts';
import { createDashboardPlatform, testPassword } from './support/dashboard.ts';
import { describeOrSkip } from './support/skip.ts';
import { startReceiver, type Receiver } from './support/webhook-receiver.ts';

const shotsDir = path.resolve('test-results/dashboard-webhooks');
const skip = browserSkip;

describeOrSkip(skip, 'dashboard in a browser: add a webhook endpoint → secret once → test event → delivered 200 → payload', () => {
  let ctx: TestContext;
  let receiver: Receiver;
  let baseUrl: string;
  let browser: TestBrowser | undefined;
  let page: Page;
  let step = 0;
  // Any console error — a CSP violation, a failed asset, a script error — fails the test.
  let consoleErrors: string[] = [];

  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: path.join(shotsDir, `${String(++step).padStart(2, '0')}-${name}.png`), fullPage: true });
  };

  before(async () => {
    fs.mkdirSync(shotsDir, { recursive: true });
    ctx = await startTestApp({ webhooks: { ...loadConfig({}).webhooks, allowSandboxLoopback: true, pollMs: 50 } });
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const address = ctx.app.server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    receiver = await startReceiver('/pik/webhooks');
    receiver.behave(() => ({ status: 200, body: '{"received":true}' }));
    browser = await launchTestBrowser();
    page = browser.page;
    consoleErrors = browser.consoleErrors;
  });

  after(async () => {
    await browser?.close();
    await receiver?.close();
    await ctx?.close();
  });

  it('adds an endpoint, sends a test event and follows it to the receiver and back', async () => {
    const platform = await createDashboardPlatform(ctx, { name: 'Acme Marketplace', emailName: 'hooks' });
    await page.goto(`${baseUrl}/dashboard`);
    await page.getByLabel('Email').fill(platform.email);
    await page.getByLabel('Password').fill(testPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/dashboard\/settings\/api-keys\//);

    // Settings › Webhooks › Sandbox, through the navigation.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('navigation', { name: 'Environment' }).getByRole('link', { name: 'Sandbox' }).click();
    await page.waitForURL(/\/settings\/webhooks\/sandbox$/);
    await page.getByText('No sandbox endpoints yet.').waitFor();

    // Add endpoint: the URL of the local receiver, every event type; the secret shown once, with a copy button.
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel(/^Description/).fill('Local receiver');
    assert.equal(await page.getByLabel(/^All events/).isChecked(), true);
    await shot('add-endpoint-form');
    await page.getByRole('button', { name: 'Add sandbox endpoint' }).click();
    await page.getByText('It will not be shown again.').waitFor();
    const secret = await page.getByTestId('new-webhook-secret').inputValue();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'new-secret'); // focus lands on the secret
    await page.getByRole('button', { name: 'Copy' }).click();
    await shot('endpoint-added-secret-shown-once');

    // Back on the list the secret is gone for good; the endpoint is there, enabled, with nothing delivered yet.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    const row = page.getByTestId('endpoints-table').locator('tr', { hasText: receiver.url });
    await row.getByText('Enabled').waitFor();
    assert.equal(await row.getByTestId('last-result').innerText(), 'No deliveries yet');
    assert.equal((await page.content()).includes(secret), false);

    // The endpoint page: Send test event, then the delivery with its attempt, status 200.
    await row.getByRole('link', { name: receiver.url }).click();
    await page.getByRole('heading', { name: receiver.url }).waitFor();
    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.getByText('Test event sent.').waitFor();
    const [request] = await receiver.waitFor(1);
    assert.ok(request);
    new Webhook(secret).verify(request.body, request.headers as Record<string, string>); // signed with the secret shown
    const attempt = page.getByTestId('attempt-status').first();
    for (let tries = 0; tries < 40 && !(await attempt.isVisible()); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await page.reload();
    }
    assert.equal(await attempt.innerText(), '200');
    await page.getByText('Delivered', { exact: true }).first().waitFor();
    assert.match(await page.locator('.response-body').first().innerText(), /\{"received":true\}/);
    assert.equal((await page.content()).includes(secret), false);
    await shot('endpoint-delivery-200');

    // The event's page: the payload, as the receiver got it, and its delivery to this endpoint.
    await page.getByRole('link', { name: 'webhook.test' }).first().click();
    await page.getByRole('heading', { name: 'webhook.test' }).waitFor();
    const payload = JSON.parse(await page.getByTestId('event-payload').innerText()) as Record<string, unknown>;
    assert.deepEqual(payload, JSON.parse(request.body));
    assert.equal(payload.type, 'webhook.test');
    await page.getByText('Delivered', { exact: true }).first().waitFor();
    await shot('event-payload');

    // Developers › Events lists it.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Events' }).click();
    await page.getByTestId('events-table').getByRole('link', { name: String(payload.event_id) }).waitFor();
    await shot('events-log');
    assert.deepEqual(consoleErrors, []);
  });
});
