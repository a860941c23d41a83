import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, type TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { repoRoot } from '../../ops/config/index.js';
import { chromiumPath } from '../../ops/tools.js';

/** One request the page made, as the engine (or anyone) would have received it. */
export interface RecordedRequest {
  method: string;
  url: string;
  /** The request body as sent, empty when it had none. */
  body: Buffer;
}

/** Where screenshots go: outside git (.scratch/ is ignored), one folder per test. */
export const SCREENSHOTS = join(repoRoot, '.scratch', 'screenshots');

export interface BrowserSession {
  /** Every request of every page of this session, in order. */
  requests: RecordedRequest[];
  /** What the pages reported as errors: uncaught exceptions, console errors (a CSP violation is one). */
  errors: string[];
  /** A new page in its own context (no shared storage), recording its requests. */
  newPage(options?: { locale?: string }): Promise<Page>;
  /** Saves a full-page screenshot as <test>/<name>.png, printed as a test diagnostic; returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
}

/**
 * One browser for the calling test file (closed after it), headless, its requests recorded so a
 * test can check where the page talked to and what it sent.
 */
export async function openBrowser(t: TestContext, testName: string): Promise<BrowserSession> {
  const browser: Browser = await chromium.launch({ executablePath: chromiumPath(), headless: true });
  const contexts: BrowserContext[] = [];
  after(async () => {
    for (const context of contexts) await context.close();
    await browser.close();
  });
  const requests: RecordedRequest[] = [];
  const errors: string[] = [];
  const folder = join(SCREENSHOTS, testName);
  return {
    requests,
    errors,
    async newPage(options = {}) {
      const context = await browser.newContext({
        locale: options.locale ?? 'en-US',
        viewport: { width: 1280, height: 800 },
      });
      contexts.push(context);
      context.on('request', (request) =>
        requests.push({
          method: request.method(),
          url: request.url(),
          body: request.postDataBuffer() ?? Buffer.alloc(0),
        }),
      );
      const page = await context.newPage();
      page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`);
      });
      return page;
    },
    async screenshot(page, name) {
      await mkdir(folder, { recursive: true });
      const path = join(folder, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      t.diagnostic(`screenshot ${path}`);
      return path;
    },
  };
}

/**
 * Makes the page believe its tab was hidden (or shown again), as switching tabs does: headless
 * Chromium has no tabs to switch. (A string: the test code has no DOM types.)
 */
export async function setTabHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate(
    `Object.defineProperty(document, 'hidden', { configurable: true, get: () => ${hidden} });` +
      `document.dispatchEvent(new Event('visibilitychange'));`,
  );
}
