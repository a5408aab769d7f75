// The API reference at /docs in a real browser (Debian's Chromium via playwright-core): the renderer served from this
// server draws the document's operations under the page's strict CSP, with no console error (a blocked script or
// style, a failed fetch), no request answered 4xx or 5xx, and no request to another origin.
// pik-test: engine-independent — a static page and the OpenAPI document; no database state is read
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { browserSkip, startBrowserSession, type BrowserSession } from './support/browser.ts';
import { describeOrSkip } from './support/skip.ts';

const shotsDir = path.resolve('test-results/docs');

describeOrSkip(browserSkip, 'the API reference in a browser', () => {
  let session: BrowserSession | undefined;

  before(async () => {
    session = await startBrowserSession(shotsDir);
  });

  after(() => session?.close());

  it('renders every tag and an operation from this server alone, with no console error', async () => {
    const { page, baseUrl, consoleErrors } = session as BrowserSession;
    const foreign: string[] = [];
    const failed: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(baseUrl) && !request.url().startsWith('data:')) foreign.push(request.url());
    });
    // A 404 (the browser's own /favicon.ico, once) is a console line the error filter lets through: counted here.
    page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${baseUrl}/docs`);
    // The document's own title and one operation's summary, drawn by the renderer (not in the page's HTML).
    await page.getByText('PIK platform API').first().waitFor({ timeout: 30_000 });
    const document = (await (await fetch(`${baseUrl}/docs/openapi.json`)).json()) as { tags?: { name: string }[] };
    for (const tag of document.tags ?? []) await page.getByText(tag.name, { exact: true }).first().waitFor();
    await (session as BrowserSession).shot('reference');
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(foreign, []);
    assert.deepEqual(failed, []);
  });
});
