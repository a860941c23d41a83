/**
 * `npm run bench:web`: the built browser app (web/dist, `./ops/bootstrap` builds it): each file's
 * size raw and gzipped, and the first load of the app's page in Debian's headless Chromium, served
 * by the engine's own web-app routes on loopback, page by page: what it fetched, navigation start to
 * the load event and to the page being ready to use, median of several cold loads (a new browser
 * context each, so nothing is cached), and how many WebAssembly modules it instantiated.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { createHttpApp } from '../../connectors/http/app.js';
import { repoRoot } from '../config/index.js';
import { opsSummaryRoutes } from '../telemetry/summary.js';
import { chromiumPath } from '../tools.js';
import { COUNT_WASM_INSTANCES, WASM_INSTANCES } from './wasm-probe.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const dist = join(repoRoot, 'web', 'dist');

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function sizes(): Promise<void> {
  const files = (await readdir(dist, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => join(entry.parentPath, entry.name));
  // the first load is index.html and what it links; other chunks (the QR decoder) load on demand
  const index = await readFile(join(dist, 'index.html'), 'utf8');
  const linked = new Set([...index.matchAll(/(?:src|href)="\/([^"]+)"/g)].map(([, path]) => path));
  const [first, all] = [
    { label: 'first load (index.html and what it links)', raw: 0, gzip: 0 },
    { label: 'all files', raw: 0, gzip: 0 },
  ];
  console.log('web/dist file'.padEnd(44), 'raw'.padStart(10), 'gzip'.padStart(10));
  for (const file of files.sort()) {
    const bytes = await readFile(file);
    const gz = gzipSync(bytes).length;
    const name = relative(dist, file);
    const initial = name === 'index.html' || linked.has(name);
    for (const total of initial ? [first, all] : [all])
      [total.raw, total.gzip] = [total.raw + bytes.length, total.gzip + gz];
    console.log(
      `${name}${initial ? '' : ' (on demand)'}`.padEnd(44),
      kb(bytes.length).padStart(10),
      kb(gz).padStart(10),
    );
  }
  for (const total of [first, all])
    console.log(total.label.padEnd(44), kb(total.raw).padStart(10), kb(total.gzip).padStart(10));
}

/** Each page, and what shows it is ready to use: the first thing a person would act on. */
const PAGES = [
  { path: '/operator', ready: 'component-engine' },
  { path: '/wallet', ready: 'wallet-create' },
  { path: '/trace', ready: 'trace-code' },
  { path: '/regulator', ready: 'sign-in' },
] as const;

async function firstLoads(): Promise<void> {
  // the engine's serving code, with the two API answers the Operator page asks for
  const app = createHttpApp({
    health: { engine: () => Promise.resolve() },
    routes: { '/v1/ops': opsSummaryRoutes(null) },
    webDist: dist,
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true });
  try {
    console.log(
      `\nfirst load of each page: median of ${RUNS - 1} cold loads (a new context each, nothing cached), Chromium ${browser.version()}, loopback`,
    );
    console.log(
      'page'.padEnd(12),
      'fetched'.padStart(10),
      'load event'.padStart(12),
      'ready'.padStart(10),
      'wasm'.padStart(6),
    );
    for (const { path, ready } of PAGES) {
      const [loads, shown, fetched, instances]: [number[], number[], number[], number[]] = [[], [], [], []];
      for (let run = 0; run < RUNS; run++) {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.addInitScript(COUNT_WASM_INSTANCES);
        let bytes = 0;
        page.on('requestfinished', (request) => {
          void request.sizes().then((size) => (bytes += size.responseBodySize));
        });
        const started = performance.now();
        await page.goto(`${origin}${path}`, { waitUntil: 'load' });
        const loaded = await page.evaluate(
          "performance.getEntriesByType('navigation')[0].loadEventEnd - performance.getEntriesByType('navigation')[0].startTime",
        );
        await page.getByTestId(ready).waitFor();
        const readyAt = performance.now() - started;
        await page.waitForLoadState('networkidle');
        // the first run warms the browser process itself: not counted
        if (run > 0) {
          loads.push(Number(loaded));
          shown.push(readyAt);
          fetched.push(bytes);
          instances.push(await page.evaluate<number>(WASM_INSTANCES));
        }
        await context.close();
      }
      console.log(
        path.padEnd(12),
        kb(median(fetched)).padStart(10),
        `${median(loads).toFixed(0)} ms`.padStart(12),
        `${median(shown).toFixed(0)} ms`.padStart(10),
        String(Math.max(...instances)).padStart(6),
      );
    }
    console.log(
      'fetched: response bodies as served (uncompressed here; a production proxy gzips them, see the gzip column above). ' +
        'wasm: WebAssembly modules instantiated by the time the page is idle; the wallet initialises mcl-wasm once, on first use (test/web-wallet.test.ts counts it).',
    );
  } finally {
    await browser.close();
    server.close();
  }
}

if (!existsSync(join(dist, 'index.html'))) {
  console.error('web/dist is not built: run ./ops/bootstrap (or cd web && npx vite build)');
  process.exit(1);
}
await sizes();
await firstLoads();
