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
 * test can check where the page talked to and what it sent. `args` go to Chromium (a fake camera:
 * see fakeCameraArgs).
 */
export async function openBrowser(
  t: TestContext,
  testName: string,
  options: { args?: string[] } = {},
): Promise<BrowserSession> {
  const browser: Browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: options.args,
  });
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

/**
 * Chromium's flags for a camera that shows `y4m` (a YUV4MPEG2 file, played in a loop) and is
 * allowed without asking: getUserMedia then runs its real path in a headless browser.
 */
export const fakeCameraArgs = (y4m: string): string[] => [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  `--use-file-for-fake-video-capture=${y4m}`,
];

/**
 * A one-frame YUV4MPEG2 video of a black-and-white picture (`dark(x, y)` per pixel, grey scale in
 * 4:2:0 with neutral chroma), the format Chromium's fake camera reads.
 */
export function y4mFrame(width: number, height: number, dark: (x: number, y: number) => boolean): Buffer {
  const luma = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) luma[y * width + x] = dark(x, y) ? 16 : 235;
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  return Buffer.concat([Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\nFRAME\n`), luma, chroma]);
}
