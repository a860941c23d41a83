import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { createHttpApp } from '../connectors/http/app.js';
import { auditVerifyRoutes } from '../connectors/http/audit-verify-routes.js';
import { auditReportRoutes } from '../connectors/http/audit-report-routes.js';
import { RECORD_CHECKS } from '../core/audit/record-checks.js';
import { TRACE_CHECKS } from '../core/audit/trace-checks.js';
import type { AuditReport } from '../core/audit/report.js';
import { repoRoot } from '../ops/config/index.js';
import { CodecKeyring } from '../ops/codec/keyring.js';
import { EncryptionCodec } from '../ops/codec/encryption-codec.js';
import { apiAuditVerifier } from '../ops/audit/verify-api.js';
import { auditReport } from '../ops/audit/report.js';
import { startScratchEngine, type ScratchEngine } from '../ops/scratch/engine.js';
import { tempDir } from '../ops/scratch/services.js';
import type { StoryOutcome } from '../ops/demo/story.js';
import { runStoryOn, storyCredentials, storySecrets } from './harness/story.js';
import { qrFrame } from './harness/qr.js';
import { fakeCameraArgs, openBrowser, type BrowserSession } from './harness/browser.js';

const WEB_DIST = join(repoRoot, 'web', 'dist');

/**
 * The Regulator page in Chromium against a scratch engine that ran the seed story: the audit
 * API behind it is the real one (verify routes, report route, the engine's regulator gate). The
 * trace's id comes in through the page's QR scanner, from a (fake) camera showing it.
 */
describe('the Regulator page', () => {
  let stack: ScratchEngine;
  let outcome: StoryOutcome;
  let server: Server;
  let origin: string;
  let browser: BrowserSession;
  let page: Page;
  const tokens = { regulator: '', manufacturer: '' };

  before(async () => {
    assert.ok(existsSync(join(WEB_DIST, 'index.html')), 'web/dist is built: cd web && npx vite build');
    stack = await startScratchEngine();
    await stack.startWorkers();
    outcome = await runStoryOn(stack, { batchSize: 4, say: () => {} });
    await stack.stopWorkers();
    Object.assign(tokens, await storyCredentials(stack, outcome));
    const sources = { chain: stack.chain, contracts: stack.engine.contracts, client: stack.client };
    server = createServer(
      createHttpApp({
        health: {},
        routes: {
          '/v1/audit/verify': auditVerifyRoutes(
            apiAuditVerifier(
              {
                ...sources,
                store: stack.engine.store,
                temporal: stack.client,
                codec: new EncryptionCodec(CodecKeyring.parse(stack.codecKeys)),
              },
              (key) => stack.engine.state.anchoredMessage(key),
            ),
            { state: stack.engine.state },
          ),
          '/v1/audit/report': auditReportRoutes({
            state: stack.engine.state,
            report: (period) => auditReport(sources, period),
          }),
        },
        webDist: WEB_DIST,
        log: () => {},
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await stack.stop();
  });

  test('sign in, verify a record and a scanned trace, read and download the period report; no credential in a URL, no patient content', async (t) => {
    const folder = await tempDir('camera');
    after(() => folder.remove());
    const camera = join(folder.path, 'trace-id.y4m');
    const traceId = outcome.traceIds[0] ?? assert.fail('the story traced a package');
    await writeFile(camera, qrFrame(traceId));
    browser = await openBrowser(t, 'web-regulator', { args: fakeCameraArgs(camera) });
    page = await browser.newPage({ locale: 'en-US' });
    await page.goto(`${origin}/regulator`);
    await page.getByRole('heading', { level: 1, name: 'Regulator' }).waitFor();
    await browser.screenshot(page, 'sign-in');

    // a malformed credential is refused before it is sent; another role's is refused by the engine
    await page.getByLabel(/^Credential/).fill('yk_nonsense');
    await page.getByTestId('sign-in').click();
    await page.getByText('A credential looks like').waitFor();
    await signIn(tokens.manufacturer);
    await verifyRecord(outcome.record.recordId);
    assert.match(
      await page.getByTestId('record-problem').innerText(),
      /^The engine refused the credential: Manufacturer .* is a Manufacturer: an audit is for regulators$/,
    );
    await signOut();

    await signIn(tokens.regulator);
    assert.deepEqual(
      await page.evaluate(`[sessionStorage.length, localStorage.getItem('yilian.regulator.credential')]`),
      [1, null],
      'the credential is in session storage only',
    );

    // a record of the story: every check passes but the one that needs a reader's key
    await verifyRecord(outcome.record.recordId);
    assert.deepEqual(await verdicts('record'), {
      holds: 'true',
      statuses: RECORD_CHECKS.map((check) => `${check} ${check === 'decrypt-signature' ? 'SKIP' : 'PASS'}`),
    });
    await browser.screenshot(page, 'record-verified');
    // an id nothing was anchored under
    await verifyRecord(`0x${'ab'.repeat(32)}`);
    assert.deepEqual((await verdicts('record')).statuses[0], 'on-chain FAIL');
    assert.equal((await verdicts('record')).holds, 'false');

    // the story's HL7 message by its key: the record it became, its own check, then the record's
    await verifyMessage(outcome.recordWorkflowId);
    assert.equal(
      (await page.getByTestId('message-record').innerText()).toLowerCase(),
      `it became record ${outcome.record.recordId.toLowerCase()}.`,
    );
    assert.deepEqual(await verdicts('message'), {
      holds: 'true',
      statuses: [
        'message PASS',
        ...RECORD_CHECKS.map((check) => `${check} ${check === 'decrypt-signature' ? 'SKIP' : 'PASS'}`),
      ],
    });
    await browser.screenshot(page, 'message-verified');
    // an empty key is refused in the page, without a request; a key of no message, by the engine
    const beforeEmpty = browser.requests.length;
    await page.getByTestId('message-key').fill('   ');
    await page.getByTestId('verify-message').click();
    await page.getByText('A message key is 1 to 1,000 characters').waitFor();
    assert.equal(browser.requests.length, beforeEmpty, 'nothing was sent for an empty key');
    await verifyMessage('hl7:NOWHERE:0/x');
    assert.match(
      await page.getByTestId('message-problem').innerText(),
      /^The request failed: no message hl7:NOWHERE:0\/x: /,
    );

    // the trace id through the camera: the scanner (secret) reads it, the page verifies it
    await page.getByTestId('qr-scan').click();
    await page.getByTestId('trace-verdicts').waitFor({ timeout: 30_000 });
    assert.deepEqual(await verdicts('trace'), {
      holds: 'true',
      statuses: TRACE_CHECKS.map((check) => `${check} ${check === 'signatures' ? 'SKIP' : 'PASS'}`),
    });
    assert.equal(await page.getByTestId('qr-status').innerText(), 'A code was read (it is not shown).');
    const html = await page.content();
    assert.ok(!html.includes(traceId.slice(2)), 'what the secret scanner read is not in the page');
    await browser.screenshot(page, 'trace-verified');
    // the code printed on the box, typed in: the page turns it into the public id, which alone is sent
    const code = outcome.traceCodes[0] ?? assert.fail('the story has trace codes');
    const answered = page.waitForResponse((response) => response.url().includes('/v1/audit/verify/traces/'));
    await page.getByTestId('qr-typed').fill(code.toLowerCase());
    await page.getByTestId('qr-use').click();
    assert.ok((await answered).url().endsWith(`/v1/audit/verify/traces/${traceId}`), 'the code became its public id');
    await page.getByTestId('trace-verdicts').waitFor({ timeout: 30_000 });
    assert.equal((await verdicts('trace')).holds, 'true');
    assert.ok((await page.getByTestId('qr-typed').inputValue()) === '', 'the field forgets a secret once used');
    // anything else is refused in the page, without a request
    const sent = browser.requests.length;
    await page.getByTestId('qr-typed').fill('not a code');
    await page.getByTestId('qr-use').click();
    await page.getByText('That is neither a trace code').waitFor();
    assert.equal(browser.requests.length, sent, 'nothing was sent for a malformed code');

    // the period report: what the page shows is what the API answers for the same period
    const to = new Date(Date.now() + 60_000);
    const local = (time: Date) =>
      new Date(time.getTime() - time.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.getByTestId('report-to').fill(local(to));
    await page.getByTestId('show-report').click();
    await page.getByTestId('report-counts').waitFor();
    const from = await page.getByTestId('report-from').inputValue();
    const expected = (await (
      await fetch(
        `${origin}/v1/audit/report?from=${new Date(from).toISOString()}&to=${new Date(local(to)).toISOString()}`,
        { headers: { authorization: `Bearer ${tokens.regulator}` } },
      )
    ).json()) as AuditReport;
    for (const [key, count] of Object.entries(expected.counts))
      assert.equal(await page.getByTestId(`count-${key}`).innerText(), String(count), key);
    assert.ok(expected.counts.anchored >= 1 && expected.counts.traced >= 1, JSON.stringify(expected.counts));
    await browser.screenshot(page, 'report');
    for (const [format, check] of [
      ['json', (body: { format?: string }) => body.format === 'yilian/audit-report/v1'],
      ['fhir', (body: { resourceType?: string }) => body.resourceType === 'Bundle'],
    ] as const) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId(`download-${format}`).click(),
      ]);
      const body = JSON.parse(await readFile(await download.path(), 'utf8')) as object;
      assert.ok(check(body), `${format}: ${download.suggestedFilename()}`);
    }
    // a record of the report, verified from its row
    await page.getByRole('button', { name: `Verify ${outcome.record.recordId}` }).click();
    await page.getByTestId('record-verdicts').waitFor();
    assert.equal(await page.getByTestId('record-id').inputValue(), outcome.record.recordId);

    await page.getByTestId('language').locator('label', { hasText: '中文' }).click();
    await page.getByRole('heading', { level: 1, name: '监管' }).waitFor();
    await browser.screenshot(page, 'report-zh');
    await page.getByTestId('language').locator('label', { hasText: 'English' }).click();

    // nothing of a patient, no trace code, anywhere in the page; no credential in any URL
    const text = await page.content();
    for (const needle of storySecrets(outcome))
      assert.ok(!text.includes(Buffer.from(needle.bytes).toString()), `${needle.label} is not on the page`);
    for (const request of browser.requests) {
      assert.equal(new URL(request.url).origin, origin, request.url);
      for (const secret of [
        tokens.regulator,
        tokens.manufacturer,
        ...outcome.traceCodes.flatMap((c) => [c, c.toLowerCase()]),
      ])
        assert.ok(!request.url.includes(secret) && !request.body.includes(secret), `a secret in ${request.url}`);
    }
    await signOut();
    assert.equal(await page.evaluate('sessionStorage.length'), 0, 'signing out forgets the credential');
    // the one error a page may log: the browser's own line for the manufacturer's refused audit
    assert.deepEqual(
      browser.errors.map((error) => error.replace(origin, '')),
      [
        '/regulator: Failed to load resource: the server responded with a status of 403 (Forbidden)',
        '/regulator: Failed to load resource: the server responded with a status of 404 (Not Found)',
      ],
      'no script error, no Content-Security-Policy violation',
    );
    t.diagnostic(`${browser.requests.length} requests, none with a credential or a code in its URL`);
  });

  async function signIn(token: string) {
    await page.getByLabel(/^Credential/).fill(token);
    await page.getByTestId('sign-in').click();
    await page.getByTestId('sign-out').waitFor();
  }
  async function signOut() {
    await page.getByTestId('sign-out').click();
    await page.getByTestId('sign-in').waitFor();
  }
  async function verifyRecord(id: string) {
    await page.getByTestId('record-id').fill(id);
    const answered = page.waitForResponse((response) => response.url().includes('/v1/audit/verify/records/'));
    await page.getByTestId('verify-record').click();
    await answered;
    await page.locator('[data-testid=record-verdicts], [data-testid=record-problem]').first().waitFor();
  }
  async function verifyMessage(key: string) {
    await page.getByTestId('message-key').fill(key);
    const answered = page.waitForResponse((response) => response.url().includes('/v1/audit/verify/messages/'));
    await page.getByTestId('verify-message').click();
    await answered;
    await page
      .locator('[data-testid=message-verdicts], [data-testid=message-problem], [data-testid=message-state]')
      .first()
      .waitFor();
  }
  /** The verdicts a panel shows: whether the audit holds, and each check's status. */
  async function verdicts(kind: 'record' | 'trace' | 'message') {
    const panel = page.getByTestId(`${kind}-verdicts`);
    const rows = panel.locator('tbody tr[data-row-key]');
    const statuses: string[] = [];
    for (const row of await rows.all())
      statuses.push(
        `${await row.locator('code').innerText()} ${(await row.getByTestId('verdict').getAttribute('data-status')) ?? ''}`,
      );
    return { holds: (await panel.getAttribute('data-holds')) ?? '', statuses };
  }
});
