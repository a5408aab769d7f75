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
