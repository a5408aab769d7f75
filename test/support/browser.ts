// A real browser for the dashboard tests: Debian's Chromium driven by playwright-core (never a downloaded browser).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export const chromiumPath = process.env.PIK_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or false when they can (for describeOrSkip). */
export const browserSkip: string | false = fs.existsSync(chromiumPath)
  ? false
  : `needs Chromium: none at ${chromiumPath} — install it with "apt-get install -y chromium" (or set PIK_CHROMIUM) to run the browser tests`;

export interface TestBrowser {
  page: Page;
  /** Every console error — a CSP violation, a failed asset, a script error — for the test to require none. */
  consoleErrors: string[];
  close(): Promise<void>;
}

export async function launchTestBrowser(): Promise<TestBrowser> {
  const { chromium } = await import('playwright-core');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pik-chromium-'));
  const browser: BrowserContext = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1360, height: 900 },
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  return {
    page,
    consoleErrors,
    close: async () => {
      await browser.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** A listening test server and a browser on it, with numbered full-page screenshots into `shotsDir`. */
export interface BrowserSession {
  ctx: import('./context.ts').TestContext;
  baseUrl: string;
  browser: TestBrowser;
  page: Page;
  /** Every console error so far (the test requires none). */
  consoleErrors: string[];
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startBrowserSession(shotsDir: string, overrides: Partial<import('../../src/config.ts').Config> = {}): Promise<BrowserSession> {
  const { startTestApp } = await import('./context.ts');
  fs.mkdirSync(shotsDir, { recursive: true });
  const ctx = await startTestApp(overrides);
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const address = ctx.app.server.address();
  const browser = await launchTestBrowser();
  let step = 0;
  return {
    ctx,
    baseUrl: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    browser,
    page: browser.page,
    consoleErrors: browser.consoleErrors,
    shot: async (name) => {
      await browser.page.screenshot({ path: path.join(shotsDir, `${String(++step).padStart(2, '0')}-${name}.png`), fullPage: true });
    },
    close: async () => {
      await browser.close();
      await ctx.close();
    },
  };
}
