/**
 * `npm run bench:web`: the built browser app (web/dist, `./ops/bootstrap` builds it): each file's
 * size raw and gzipped, and the first load of the app's page in Debian's headless Chromium, served
 * by the engine's own web-app routes on loopback: navigation start to the load event, and to the
 * Operator page showing its components (its first answers from the API), median of several cold
 * loads (a new browser context each, so nothing is cached).
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

async function firstLoad(): Promise<void> {
  // the engine's serving code, with the two API answers the Operator page asks for
  const app = createHttpApp({
    health: { engine: () => Promise.resolve() },
    routes: { '/v1/ops': opsSummaryRoutes(null) },
    webDist: dist,
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/operator`;
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true });
  try {
    const [loads, shown]: [number[], number[]] = [[], []];
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(url, { waitUntil: 'load' });
      const loaded = await page.evaluate(
        "performance.getEntriesByType('navigation')[0].loadEventEnd - performance.getEntriesByType('navigation')[0].startTime",
      );
      await page.getByTestId('component-engine').waitFor();
      // the first run warms the browser process itself: not counted
      if (run > 0) {
        loads.push(Number(loaded));
        shown.push(performance.now() - started);
      }
      await context.close();
    }
    console.log(
      `first load of /operator (${loads.length} cold loads, median): load event ${median(loads).toFixed(0)} ms, ` +
        `components shown ${median(shown).toFixed(0)} ms (Chromium ${browser.version()}, loopback)`,
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
await firstLoad();
