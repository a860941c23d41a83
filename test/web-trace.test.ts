import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { hexToBytes, toHex, zeroAddress } from 'viem';
import { Directory, DrugTrace, RecordRegistry } from '../contracts/artifacts.js';
import {
  generateIdentity,
  generateTraceCode,
  printedTraceCode,
  sealTraceStep,
  traceStepKey,
  type Identity,
} from '../core/crypto/index.js';
import { deployContract, writeContract } from '../core/ledger/contract-calls.js';
import { FiscoClient } from '../core/ledger/fisco-client.js';
import type { ChainGatewayInfo } from '../core/ledger/chain-gateway.js';
import { Role } from '../core/roles.js';
import { createHttpApp } from '../connectors/http/app.js';
import { chainGatewayRoutes } from '../connectors/http/chain-gateway-routes.js';
import { serve } from '../connectors/http/test-helpers.js';
import * as native from '../native/index.js';
import { repoRoot } from '../ops/config/index.js';
import { pushProvenStep } from './harness/trace-push.js';
import { fakeCameraArgs, openBrowser } from './harness/browser.js';
import { qrFrame } from './harness/qr.js';
import { startScratchDevchain, tempDir } from '../ops/scratch/services.js';
import { findNeedles, type Needle } from './harness/privacy-scan.js';

const WEB_DIST = join(repoRoot, 'web', 'dist');

/** The code's 20 bytes (Crockford, most significant bit first), to search requests for them too. */
function codeBytes(code: string): Uint8Array {
  let bits = 0n;
  for (const symbol of code) bits = (bits << 5n) | BigInt('0123456789ABCDEFGHJKMNPQRSTVWXYZ'.indexOf(symbol));
  return hexToBytes(`0x${bits.toString(16).padStart(40, '0')}`);
}

/**
 * The public trace page in Debian's Chromium against a real dev chain running the real contracts,
 * behind the engine's HTTP app as ./ops/up mounts it (the built web app and the read-only chain
 * gateway): a box made, shipped and dispensed by three registered participants, each step with a
 * real STARK proof, looked up from its code.
 */
describe('the trace lookup page', () => {
  let chain: Awaited<ReturnType<typeof startScratchDevchain>>;
  let client: FiscoClient;
  let api: Awaited<ReturnType<typeof serve>>;
  let contracts: ChainGatewayInfo['contracts'];
  const ca = generateIdentity();
  const [maker, carrier, pharmacy] = [generateIdentity(), generateIdentity(), generateIdentity()];
  const code = generateTraceCode();
  const id = native.traceId(code);

  const push = (sender: Identity, data: unknown) =>
    pushProvenStep(
      client,
      contracts.drugTrace,
      sender.secretKey,
      code,
      data instanceof Uint8Array ? data : sealTraceStep(code, id, sender.secretKey, utf8ToBytes(JSON.stringify(data))),
    );

  before(async () => {
    if (
      !existsSync(join(WEB_DIST, 'index.html')) ||
      !readdirSync(join(WEB_DIST, 'assets')).some((f) => f.endsWith('.wasm'))
    )
      throw new Error(
        'web/dist is not built with the trace-id module: ./ops/bootstrap (or native/build.sh --wasm and vite build)',
      );
    chain = await startScratchDevchain();
    client = new FiscoClient({ rpcUrl: chain.rpcUrl, chainId: 'chain0', groupId: 'group0', signer: native.signDigest });
    const directory = await deployContract(client, ca.secretKey, Directory);
    contracts = {
      directory,
      recordRegistry: await deployContract(client, ca.secretKey, RecordRegistry, [directory]),
      drugTrace: await deployContract(client, ca.secretKey, DrugTrace, [directory]),
    };
    for (const [who, role, name] of [
      [maker, Role.Manufacturer, 'Yangtze Pharma'],
      [carrier, Role.Carrier, 'Swift Logistics'],
      [pharmacy, Role.Pharmacy, 'Charlie Pharmacy'],
    ] as const)
      await writeContract(client, ca.secretKey, {
        address: directory,
        abi: Directory.abi,
        functionName: 'register',
        args: [toHex(who.address), role, name, toHex(who.publicKey), zeroAddress],
      });
    // the ERP API's step data (docs/formats.md § ERP step data)
    await push(maker, {
      event: 'produced',
      batch: 'LOT-2026-11',
      item: 1,
      by: 'Yangtze Pharma',
      at: '2026-11-02', // a batch's time is its manufacturedOn: a day
      product: 'Amoxicillin capsules 0.25 g × 24',
      nationalDrugCode: '国药准字H20065783',
      manufacturedOn: '2026-11-02',
      expiresOn: '2028-11-01',
    });
    // bytes anyone holding the code could push: not part of the history, and said so
    await push(carrier, utf8ToBytes('not a sealed step'));
    await push(carrier, {
      event: 'shipped',
      item: 1,
      by: 'Swift Logistics',
      at: '2026-11-03T09:30:00.000Z',
      from: 'Wuhan DC',
      to: 'Charlie Pharmacy, Shanghai',
      carrier: 'Swift Logistics',
      arrivedAt: '2026-11-04T15:10:00.000Z',
    });
    await push(pharmacy, {
      event: 'dispensed',
      item: 1,
      by: 'Charlie Pharmacy',
      at: '2026-11-20T10:05:00.000Z',
      pharmacyRef: 'RX-88231',
    });
    const info: ChainGatewayInfo = { chainId: 'chain0', groupId: 'group0', contracts };
    api = await serve(() =>
      createHttpApp({
        health: {},
        routes: { '/v1/chain': chainGatewayRoutes(client, info) },
        webDist: WEB_DIST,
        log: () => {},
      }),
    );
  });
  after(async () => {
    await api.close();
    await chain.stop();
  });

  test('shows the verified history from the code, says nothing exists for a wrong one, and sends only the public id', async (t) => {
    // the box's QR code, as the camera sees it, for the scan at the end
    const folder = await tempDir('web-trace-camera');
    t.after(() => folder.remove());
    const camera = join(folder.path, 'box.y4m');
    await writeFile(camera, qrFrame(printedTraceCode(code)));
    const browser = await openBrowser(t, 'web-trace', { args: fakeCameraArgs(camera) });
    const page = await browser.newPage({ locale: 'en-US' });
    await page.goto(`${api.url}/trace`);
    const field = page.getByTestId('trace-code');
    assert.equal(await field.getAttribute('type'), 'password');
    assert.equal(await field.getAttribute('autocomplete'), 'off');
    assert.equal(await field.getAttribute('name'), null, 'a form that submitted itself would carry nothing');
    assert.equal(await page.getByLabel('Trace code').count(), 1, 'the field is labelled');

    // typed as a person might: lower case, with the hyphens
    await field.fill(printedTraceCode(code).toLowerCase());
    assert.ok(!(await field.getAttribute('value'))?.length, 'what is typed is not copied into the DOM attribute');
    await page.getByTestId('trace-submit').click();
    const steps = page.getByTestId('trace-step');
    await steps.nth(2).waitFor({ timeout: 30_000 });
    assert.equal(await field.inputValue(), '', 'the field is emptied by the lookup');
    assert.deepEqual(await Promise.all((await steps.all()).map((step) => step.getAttribute('data-event'))), [
      'produced',
      'shipped',
      'dispensed',
    ]);
    assert.deepEqual(
      (await page.getByTestId('trace-step-actor').allInnerTexts()).map((text) => text.trim()),
      ['by Yangtze Pharma, manufacturer', 'by Swift Logistics, carrier', 'by Charlie Pharmacy, pharmacy'],
    );
    const history = await page.getByTestId('trace-result').innerText();
    assert.equal(await page.getByTestId('trace-step-verified').count(), 3);
    assert.match(history, /Reported time: Nov 2, 2026\n/, 'a day is shown as a day, not as midnight UTC');
    assert.match(history, /Reported time: Nov 3, 2026, 9:30 AM/);
    for (const shown of [
      'Amoxicillin capsules 0.25 g × 24',
      '国药准字H20065783',
      'Wuhan DC',
      'RX-88231',
      'Signature verified',
    ])
      assert.ok(history.includes(shown), `the history shows ${shown}`);
    assert.match(
      await page.getByTestId('trace-invalid').innerText(),
      /1 step under this code did not verify[\s\S]*Step 2 .*does not decrypt/,
    );
    await browser.screenshot(page, 'history-en');

    const language = (name: string) => page.getByTestId('language').locator('label', { hasText: name }).click();
    await language('中文');
    await page.getByRole('heading', { level: 1, name: '药品追溯查询' }).waitFor();
    assert.match(await page.getByTestId('trace-step-actor').first().innerText(), /生产企业：Yangtze Pharma/);
    await browser.screenshot(page, 'history-zh');
    await language('English');

    // a code never used and a wrong one look the same: nothing exists
    await field.fill(generateTraceCode());
    await page.getByTestId('trace-submit').click();
    await page.getByTestId('trace-nothing').waitFor({ timeout: 30_000 });
    assert.equal(await steps.count(), 0);
    assert.match(await page.getByTestId('trace-nothing').innerText(), /Nothing exists for this code/);
    await browser.screenshot(page, 'nothing-exists');

    // a mistyped code: the position, never a symbol
    const mistyped = `${code.slice(0, 9)}U${code.slice(10)}`;
    await field.fill(mistyped);
    await page.getByTestId('trace-submit').click();
    const bad = await page.getByTestId('trace-bad-code').innerText();
    assert.match(bad, /Symbol 10 is not a trace code symbol/);
    assert.ok(!bad.includes(code.slice(0, 4)) && !/\bU\b/.test(bad.replace('I, L, O, U', '')), bad);
    assert.equal(await field.inputValue(), '');
    await browser.screenshot(page, 'bad-code');

    // scanned from the box with the camera: the same history, and the code is shown nowhere
    await page.getByTestId('qr-scan').click();
    await steps.nth(2).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('qr-status').innerText(), 'A code was read (it is not shown).');
    assert.equal(await page.getByTestId('trace-step-verified').count(), 3);
    await browser.screenshot(page, 'scanned');

    // the whole session: the code in none of its spellings or bytes, in no URL and no body
    const needles: Needle[] = [
      { label: 'the code', bytes: utf8ToBytes(code) },
      { label: 'the code in lower case', bytes: utf8ToBytes(code.toLowerCase()) },
      { label: 'the printed code', bytes: utf8ToBytes(printedTraceCode(code)) },
      { label: 'the printed code in lower case', bytes: utf8ToBytes(printedTraceCode(code).toLowerCase()) },
      { label: 'the mistyped code', bytes: utf8ToBytes(mistyped) },
      { label: "the code's bytes", bytes: codeBytes(code) },
      { label: 'the step key', bytes: traceStepKey(code, id) },
    ];
    const haystacks = browser.requests.map((request, i) => ({
      place: `request ${i} ${request.method} ${new URL(request.url).pathname}`,
      bytes: Buffer.concat([Buffer.from(request.url), request.body]),
    }));
    assert.deepEqual(findNeedles(haystacks, needles), []);
    assert.ok(
      browser.requests.every((request) => request.url.startsWith(`${api.url}/`)),
      'the page talks to the engine only',
    );
    const idHex = Buffer.from(id).toString('hex');
    assert.ok(
      browser.requests.some(
        (request) => request.url === `${api.url}/v1/chain` && request.body.toString().includes(idHex),
      ),
      'the public id is what the chain is asked about',
    );
    assert.deepEqual(
      await page.evaluate('Object.keys(localStorage)'),
      ['yilian.language'],
      'nothing but the language is remembered',
    );
    assert.ok(!page.url().toLowerCase().includes(code.slice(0, 8).toLowerCase()));
    assert.deepEqual(browser.errors, []);

    // the module in this browser: load and one id, as the page does
    const timing = await page.evaluate<{ loadMs: number; perIdUs: number }>(`(async () => {
      const url = performance.getEntriesByType('resource').map((e) => e.name).find((n) => n.endsWith('.wasm'));
      const started = performance.now();
      const { instance } = await WebAssembly.instantiateStreaming(fetch(url));
      const loaded = performance.now();
      const x = instance.exports;
      const text = new TextEncoder().encode('${'0'.repeat(32)}');
      const runs = 1000;
      for (let i = 0; i < runs; i++) {
        new Uint8Array(x.memory.buffer, x.code_buffer(), 32).set(text);
        x.trace_id(32);
      }
      return { loadMs: loaded - started, perIdUs: ((performance.now() - loaded) / runs) * 1000 };
    })()`);
    t.diagnostic(
      `trace-id module in Chromium: instantiateStreaming ${timing.loadMs.toFixed(1)} ms, one id ${timing.perIdUs.toFixed(1)} µs`,
    );
  });
});
