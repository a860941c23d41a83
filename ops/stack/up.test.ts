import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:net';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Connection, WorkflowClient } from '@temporalio/client';
import type { StorySummary } from '../demo/story.js';
import { normalizeTraceCode } from '../../core/crypto/index.js';
import { freePort } from '../services/ports.js';
import { tempDir } from '../scratch/services.js';
import { requestTraceCodes } from '../scratch/erp.js';
import { loadConfig, repoRoot } from '../config/index.js';
import { codecFromConfig } from '../codec/from-config.js';
import { parseCid } from '../../core/storage/index.js';
import { EmbeddedContentStore } from '../../core/storage/node/index.js';
import { recordIdOf } from '../../core/records/record-format.js';
import { hexToBytes, toHex } from 'viem';
import { checkAck, fixture, frame, mllpSend } from '../../connectors/mllp/test-helpers.js';
import { consoleLine } from '../telemetry/log.js';
import {
  dashboardSeries,
  exportedNames,
  parseExposition,
  startOtlpReceiver,
  total,
  type ReceivedSpan,
} from '../telemetry/test-helpers.js';
import { filesUnder, findNeedles, type Needle } from '../../test/harness/privacy-scan.js';
import { openBrowser, setTabHidden } from '../../test/harness/browser.js';
import type { OpsSummary } from '../telemetry/summary.js';

interface Running {
  child: ChildProcess;
  /** What it logged, as the console lines a terminal shows (stdout is JSON lines: not a terminal), then stderr. */
  output: () => string;
  /** Its stdout as written: one JSON log event per line. */
  json: () => string;
  exited: Promise<number | null>;
}

/** Starts the supervisor as `./ops/up` does after bootstrapping, and waits for its `ready` line. */
function startUp(env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'ops/stack/up.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let [stdout, stderr] = ['', ''];
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines = () => stdout.split('\n').filter((line) => line !== '');
  return {
    child,
    output: () => lines().map(consoleLine).join('') + stderr,
    json: () => stdout,
    exited,
  };
}

/** `npx yilian demo --json` against the running stack: its steps on stderr, its outcome on stdout. */
async function runDemo(env: NodeJS.ProcessEnv): Promise<{ code: number | null; steps: string; summary: string }> {
  const child = spawn(process.execPath, ['ops/bin/yilian.mjs', 'demo', '--json'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let [steps, summary] = ['', ''];
  child.stdout.on('data', (data: Buffer) => (summary += data.toString()));
  child.stderr.on('data', (data: Buffer) => (steps += data.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, steps, summary };
}

async function waitFor(running: Running, pattern: RegExp, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(running.output())) {
    if (running.child.exitCode !== null)
      assert.fail(`up exited (${running.child.exitCode}) before ${pattern}:\n${running.output()}`);
    if (Date.now() > deadline) assert.fail(`no ${pattern} within ${timeoutMs} ms:\n${running.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('./ops/up supervisor', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let env: NodeJS.ProcessEnv;
  let ports: { temporal: number; ui: number; redis: number; api: number; chain: number; mllp: number };

  before(async () => {
    home = await tempDir('up');
    // a data dir someone made readable to others: ./ops/up shuts it
    await chmod(home.path, 0o755);
    ports = {
      temporal: await freePort(),
      ui: await freePort(),
      redis: await freePort(),
      api: await freePort(),
      chain: await freePort(),
      mllp: await freePort(),
    };
    env = {
      YILIAN_HOME: home.path,
      YILIAN_TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
      YILIAN_TEMPORAL_UI_PORT: String(ports.ui),
      YILIAN_REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
      YILIAN_API_PORT: String(ports.api),
      YILIAN_CHAIN_RPC_URL: `http://127.0.0.1:${ports.chain}`,
      YILIAN_MLLP_PORT: String(ports.mllp),
    };
  });
  after(async () => home.remove());

  test('starts every component, serves /healthz and the Web UI, stops on SIGINT and keeps data on restart', async (t) => {
    // the first run traces to a collector, the second (default) not at all
    const collector = await startOtlpReceiver();
    after(() => collector.close());
    const first = startUp({ ...env, YILIAN_OTLP_ENDPOINT: collector.endpoint });
    // a failed assertion must not leave the stack running (SIGINT: it stops its services too)
    t.after(async () => {
      if (first.child.exitCode === null) first.child.kill('SIGINT');
      await first.exited;
    });
    await waitFor(first, /^ready /m);
    for (const component of ['temporal', 'redis', 'chain', 'storage', 'worker', 'api', 'mllp']) {
      assert.match(first.output(), new RegExp(`^${component}\\s+ok`, 'm'), `no line for ${component}`);
    }
    const health = await fetch(`http://127.0.0.1:${ports.api}/healthz`);
    assert.equal(health.status, 200);
    const report = (await health.json()) as { status: string; components: Record<string, { status: string }> };
    assert.equal(report.status, 'ok');
    for (const component of ['temporal', 'redis', 'chain', 'storage', 'worker'])
      assert.equal(report.components[component]?.status, 'ok', component);
    assert.equal((await fetch(`http://127.0.0.1:${ports.ui}/`)).status, 200, 'Temporal Web UI answers');
    const uiSettings = await (await fetch(`http://127.0.0.1:${ports.ui}/api/v1/settings`)).text();
    assert.ok(
      uiSettings.includes(`http://127.0.0.1:${ports.api}/codec`),
      `the Web UI is pointed at the codec endpoint: ${uiSettings}`,
    );

    // the engine made its codec keys and token on first start; a client of the same data dir reads them
    const { token } = await codecFromConfig(loadConfig(env));
    const decode = await fetch(`http://127.0.0.1:${ports.api}/codec/decode`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [] }),
    });
    assert.equal(decode.status, 200, 'the codec endpoint serves the holder of the generated token');

    // errors before authentication are JSON naming the problem, logged once, with no stack anywhere
    const errors = [
      await fetch(`http://127.0.0.1:${ports.api}/codec/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${'x'.repeat(5000)}`,
      }),
      await fetch(`http://127.0.0.1:${ports.api}/inbox/%E0%A4%A`),
    ];
    assert.deepEqual(
      errors.map((response) => [response.status, response.headers.get('content-type')]),
      [
        [413, 'application/json; charset=utf-8'],
        [400, 'application/json; charset=utf-8'],
      ],
    );
    for (const response of errors) assert.doesNotMatch(await response.text(), /\bat .*:\d+:\d+|node_modules/);
    await waitFor(first, /^api\s+400 GET "\/inbox\/%E0%A4%A": the path has a malformed percent-escape$/m, 5000);
    assert.equal(first.output().match(/^api\s+413 POST "\/codec\/login": the request body is larger/gm)?.length, 1);
    assert.doesNotMatch(first.output(), /\bat .*node_modules/, 'no stack in the log either');

    // a hospital feed pointed at the stack: the open routing takes it, signs with the hospital identity
    const feed = join(home.path, 'feed.mllp');
    const message = fixture('ADT-A01-01');
    await writeFile(feed, frame(message));
    const [ack] = await mllpSend(ports.mllp, feed, false);
    checkAck(ack ?? '', message, 'ADT^A01 to ./ops/up');
    // and a frame that is no HL7 message: refused, and counted as refused
    const noise = join(home.path, 'noise.mllp');
    await writeFile(noise, frame('this is not an HL7 message'));
    const [refused] = await mllpSend(ports.mllp, noise, false);
    assert.match(refused ?? '', /MSA\|AE\|/);
    assert.match(first.output(), /^redis\s+ok .*appendfsync always/m, 'the embedded Redis fsyncs every write');

    const demo = await runDemo(env);
    assert.equal(demo.code, 0, demo.steps);
    const story = JSON.parse(demo.summary) as StorySummary;
    assert.match(story.author, /^Dr\. Bob/);
    assert.equal(story.readByGrantee, true);
    assert.deepEqual(
      story.refusals.map((refusal) => refusal.door),
      ['inbox', 'reencrypted key', 'forged grant'],
    );
    assert.deepEqual(
      story.traceEvents.map((step) => step.event),
      ['produced', 'shipped', 'received'],
    );
    assert.equal(story.traceItems, 100);
    assert.match(
      demo.steps,
      /waits, encrypted in its history, for the patient to enrol/,
      'the steps are printed for a person to follow',
    );

    // a manufacturer's ERP, configured as the README says, reports a batch that is committed
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['ops/bin/yilian.mjs', ...args], {
        cwd: repoRoot,
        env: { ...process.env, ...env },
      });
    await cli('identity', 'Up Pharma', '--role', 'manufacturer');
    const erpToken = (await cli('org', 'issue', 'Up Pharma')).stdout.trim();
    const api = `http://127.0.0.1:${ports.api}`;
    const codes = await requestTraceCodes(api, erpToken, 2);
    const batch = await fetch(`${api}/v1/trace/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${erpToken}`, 'idempotency-key': 'UP-1', 'content-type': 'application/json' },
      body: JSON.stringify({
        product: 'Up test product',
        nationalDrugCode: '国药准字H20065783',
        lot: 'UP-LOT-1',
        manufacturedOn: '2026-11-02',
        expiresOn: '2028-11-01',
        items: codes.map((code) => ({ code })),
      }),
    });
    assert.equal(batch.status, 202);
    const { eventId } = (await batch.json()) as { eventId: string };
    for (let status = ''; status !== 'committed'; await new Promise((resolve) => setTimeout(resolve, 500))) {
      const answer = await fetch(`${api}/v1/trace/events/${eventId}`, {
        headers: { authorization: `Bearer ${erpToken}` },
      });
      status = ((await answer.json()) as { status: string }).status;
      assert.notEqual(status, 'failed');
    }
    assert.equal((await fetch(`${api}/openapi.json`)).status, 200);
    assert.match(await (await fetch(`${api}/docs/api`)).text(), /\/v1\/trace\/batches/);

    // an auditor replays every closed workflow; a regulator, set up as the README says, takes the report
    const replayed = JSON.parse((await cli('audit', 'replay', '--all', '--json')).stdout) as { failed: unknown[] };
    assert.deepEqual(replayed.failed, []);
    await cli('identity', 'Up Health Authority', '--role', 'regulator');
    const regulatorToken = (await cli('org', 'issue', 'Up Health Authority')).stdout.trim();
    const audited = await fetch(`${api}/v1/audit/verify/records/${story.recordId}`, {
      headers: { authorization: `Bearer ${regulatorToken}` },
    });
    assert.deepEqual(((await audited.json()) as { holds: boolean }).holds, true, 'the audit API is mounted');
    const audit = await fetch(`${api}/v1/audit/report?from=1h`, {
      headers: { authorization: `Bearer ${regulatorToken}` },
    });
    assert.equal(audit.status, 200);
    const { counts } = (await audit.json()) as { counts: Record<string, number> };
    assert.ok(counts.anchored === 1 && counts.granted === 1 && counts.refused === 1, JSON.stringify(counts));
    assert.equal(counts.traced, 3 * 100 + 2);
    t.diagnostic(await checkMetrics(api));
    await checkOperatorPage(t, api, `http://127.0.0.1:${ports.ui}`);
    await checkTracePage(t, api, codes);
    await checkLogs(first, home.path, { erpToken, codes });
    await checkTraces(() => collector.spans(), eventId);
    // a history the OpenTelemetry interceptors ran in replays on the engine's interceptors alone
    assert.match((await cli('audit', 'replay', story.recordWorkflowId)).stdout, /: \d+ events, deterministic/);

    first.child.kill('SIGINT');
    assert.equal(await first.exited, 0, first.output());
    assert.match(first.output(), /^temporal\s+stopped/m);
    assert.match(first.output(), /contracts deployed/);
    const modeOf = async (path: string) => (await stat(join(home.path, path))).mode & 0o777;
    assert.equal(await modeOf('.'), 0o700, 'the data dir is its owner’s alone');
    for (const file of [
      'engine.sqlite',
      'logs/devchain.log',
      'logs/temporal.log',
      'temporal/temporal.db',
      'keys/codec-keys',
    ]) {
      assert.equal(await modeOf(file), 0o600, `${file} is its owner’s alone`);
    }
    for (const dir of ['keys', 'logs', 'blocks', 'chain', 'operator'])
      assert.equal(await modeOf(dir), 0o700, `${dir}/`);

    // restarted with the native worker in a process of its own (YILIAN_NATIVE_WORKER=process)
    const second = startUp({ ...env, YILIAN_NATIVE_WORKER: 'process' });
    try {
      await waitFor(second, /^ready /m);
      assert.match(second.output(), /contracts found/, 'the restart keeps the chain and its contracts');
      const nativePid = Number(/^worker\s+ok .*-native \(process (\d+),/m.exec(second.output())?.[1]);
      assert.ok(nativePid > 0, 'the native worker is a process of its own');
      // the whole story again, its sealing, re-encryption checks and proofs served by that process
      const demoAgain = await runDemo(env);
      assert.equal(demoAgain.code, 0, demoAgain.steps);
      assert.equal((JSON.parse(demoAgain.summary) as StorySummary).traceItems, 100);
      const nativeLog = await readFile(join(home.path, 'logs', 'native-worker.log'), 'utf8');
      assert.match(nativeLog, /native polling/);
      const again = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
      const described = await new WorkflowClient({ connection: again }).getHandle(story.recordWorkflowId).describe();
      assert.equal(described.status.name, 'COMPLETED', 'the record workflow survived the restart');
      await again.close();
      assert.ok(
        await new EmbeddedContentStore(home.path).has(parseCid(story.cid)),
        'the record content survived the restart',
      );
      assert.equal(toHex(recordIdOf(hexToBytes(story.authorAddress as `0x${string}`), story.cid)), story.recordId);

      const clash = startUp({ ...env, YILIAN_HOME: `${home.path}-other` });
      assert.notEqual(await clash.exited, 0);
      assert.match(
        clash.output(),
        new RegExp(`port ${ports.api} on 127\\.0\\.0\\.1 is already in use \\(set YILIAN_API_PORT`),
      );
    } finally {
      second.child.kill('SIGINT');
      await second.exited;
    }
    assert.match(second.output(), /^native-worker\s+stopped/m);
    const nativePid = Number(/^worker\s+ok .*-native \(process (\d+),/m.exec(second.output())?.[1]);
    assert.throws(() => process.kill(nativePid, 0), /ESRCH/, 'and stopped with the stack');
  });

  test('a port already taken is named with the setting that moves it', async () => {
    const blocker: Server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const run = startUp({ ...env, YILIAN_REDIS_URL: `redis://127.0.0.1:${port}` });
      assert.equal(await run.exited, 1);
      assert.match(
        run.output(),
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use \\(set YILIAN_REDIS_URL`),
      );
    } finally {
      blocker.close();
    }
  });

  test('a bad setting stops start-up with a message naming it', async () => {
    const run = startUp({ ...env, YILIAN_API_PORT: 'http' });
    assert.equal(await run.exited, 1);
    assert.match(run.output(), /YILIAN_API_PORT="http": expected a whole number/);
  });
});

/**
 * After the demo, an ADT^A01 and a refused frame over MLLP and an ERP batch: GET /metrics parses
 * with Prometheus's own parser and carries every series the engine names, with the work just done
 * counted; and every series the Grafana dashboard queries is one the engine exports.
 */
async function checkMetrics(api: string): Promise<string> {
  const started = performance.now();
  const response = await fetch(`${api}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const scrapeMs = performance.now() - started;
  assert.ok(scrapeMs < 2000, `a scrape took ${scrapeMs} ms`);
  const samples = await parseExposition(text);
  const at = (name: string, labels: Record<string, string> = {}) => total(samples, name, labels);
  const atLeast = (min: number, name: string, labels: Record<string, string> = {}) => {
    const value = at(name, labels);
    assert.ok(value >= min, `${name}${JSON.stringify(labels)} is ${value}, expected at least ${min}`);
  };

  atLeast(2, 'yilian_intake_received_total', { connector: 'mllp' });
  atLeast(1, 'yilian_intake_acknowledged_total', { connector: 'mllp' });
  atLeast(1, 'yilian_intake_rejected_total', { connector: 'mllp', reason: 'mllp_no_msh' });
  atLeast(1, 'yilian_intake_acknowledged_total', { connector: 'erp' });
  atLeast(1, 'yilian_intake_ack_duration_seconds_count', { connector: 'mllp' });
  atLeast(1, 'yilian_intake_ack_duration_seconds_count', { connector: 'erp' });
  for (const state of ['waiting', 'active', 'delayed'])
    assert.ok(
      samples.some((s) => s.name === 'yilian_intake_queue_jobs' && s.labels.state === state),
      `queue depth ${state}`,
    );
  assert.equal(at('yilian_intake_dead_letters'), 0);
  for (const type of ['registerIdentity', 'enrolPatient', 'anchorRecord', 'grantAccess', 'traceEvent', 'traceStep']) {
    atLeast(1, 'yilian_workflows_started_total', { workflow_type: type });
    atLeast(1, 'yilian_workflows_closed_total', { workflow_type: type, outcome: 'completed' });
  }
  // the demo's forged grant
  atLeast(1, 'yilian_workflows_closed_total', { workflow_type: 'grantAccess', outcome: 'failed' });
  for (const activity of ['sealRecord', 'createRecordOnChain', 'proveTraceBatch', 'pushTraceBatch', 'deliverToInbox'])
    atLeast(1, 'yilian_activity_duration_seconds_count', { activity, outcome: 'success' });
  atLeast(3, 'yilian_stark_duration_seconds_count', { operation: 'prove', outcome: 'success' });
  for (const operation of ['encrypt', 'verify_rekey', 'reencrypt'])
    atLeast(1, 'yilian_pre_duration_seconds_count', { operation });
  for (const fn of ['create', 'pushBatch', 'register'])
    atLeast(1, 'yilian_chain_submit_duration_seconds_count', { function: fn, outcome: 'success' });
  atLeast(2, 'yilian_store_operation_duration_seconds_count', { operation: 'put', outcome: 'success' });
  atLeast(1, 'yilian_http_request_duration_seconds_count', { route: '/v1/trace', method: 'POST', status: '2xx' });
  atLeast(1, 'yilian_http_request_duration_seconds_count', { route: '/inbox', status: '2xx' });
  // the Temporal SDK's own worker metrics, appended
  atLeast(1, 'temporal_worker_task_slots_available');
  atLeast(1, 'temporal_workflow_task_schedule_to_start_latency_seconds_count');
  atLeast(1, 'temporal_activity_schedule_to_start_latency_seconds_count');

  const exported = exportedNames(text, samples);
  const dashboard: unknown = JSON.parse(await readFile(join(repoRoot, 'ops', 'grafana', 'yilian.json'), 'utf8'));
  const queried = dashboardSeries(dashboard);
  assert.ok(queried.size >= 20, `${queried.size} series in the dashboard`);
  assert.deepEqual(
    [...queried].filter((name) => !exported.has(name)),
    [],
    'the dashboard queries only series the engine exports',
  );
  return `GET /metrics after the demo: ${text.length} bytes, ${samples.length} samples, ${scrapeMs.toFixed(1)} ms`;
}

/**
 * The web app in a real Chromium: / opens the Operator page, which shows every component ok and
 * the intake counters of the MLLP frames sent, in English and in Chinese (the choice remembered);
 * it stops asking while its tab is hidden; every request it made went to the engine's own origin.
 */
async function checkOperatorPage(t: TestContext, api: string, temporalUi: string): Promise<void> {
  const app = await fetch(`${api}/`, { headers: { accept: 'text/html' } });
  assert.equal(app.status, 200, 'web/dist is built (./ops/bootstrap builds it)');
  assert.match(app.headers.get('content-security-policy') ?? '', /^default-src 'self'/);
  const summary = (await (await fetch(`${api}/v1/ops/summary`)).json()) as OpsSummary;
  assert.deepEqual(Object.keys(summary).sort(), ['intake', 'queue', 'temporalUi'], 'counts only');
  assert.deepEqual(summary.queue, { waiting: 0, active: 0, delayed: 0, dead: 0 });
  assert.equal(summary.temporalUi, temporalUi);
  const mllp = summary.intake.mllp;
  assert.ok(mllp.received >= 2 && mllp.acknowledged >= 1 && mllp.rejected >= 1, JSON.stringify(mllp));

  const browser = await openBrowser(t, 'up');
  const page = await browser.newPage({ locale: 'en-US' });
  await page.goto(`${api}/`);
  await page.waitForURL(`${api}/operator`);
  for (const component of ['temporal', 'redis', 'chain', 'storage', 'worker'])
    assert.equal(
      await page.getByTestId(`component-${component}`).getAttribute('data-status', { timeout: 10_000 }),
      'ok',
      component,
    );
  const row = page.locator('[data-testid=intake] tr[data-row-key=mllp] td');
  assert.deepEqual(
    (await row.allInnerTexts()).map((text) => text.trim()),
    ['HL7 v2 over MLLP', String(mllp.received), String(mllp.acknowledged), String(mllp.rejected)],
  );
  assert.equal(await page.getByTestId('dead-letters').innerText(), '0');
  assert.equal(await page.getByTestId('temporal-ui').getAttribute('href'), temporalUi);
  assert.equal(await page.getByTestId('api-docs').getAttribute('href'), '/docs/api');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await browser.screenshot(page, 'operator-en');

  // the switch's radios are drawn by their labels, which take the click
  const language = (name: string) => page.getByTestId('language').locator('label', { hasText: name }).click();
  await language('中文');
  await page.getByRole('heading', { level: 1, name: '运维' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  assert.equal((await row.first().innerText()).trim(), 'HL7 v2（MLLP）');
  await browser.screenshot(page, 'operator-zh');
  await page.reload();
  await page.getByRole('heading', { level: 1, name: '运维' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN', 'the choice is remembered');
  await language('English');
  await page.getByRole('heading', { level: 1, name: 'Operator' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');

  // a hidden tab asks nothing; shown again, it refreshes at once
  const polls = () => browser.requests.filter((request) => request.url.endsWith('/v1/ops/summary')).length;
  await setTabHidden(page, true);
  await page.getByText('Paused while this tab is hidden').waitFor();
  const before = polls();
  await new Promise((resolve) => setTimeout(resolve, 6000));
  assert.equal(polls(), before, 'no refresh while hidden');
  await setTabHidden(page, false);
  await page.getByText(/^Updated /).waitFor();
  assert.ok(polls() > before, 'refreshed when shown');

  const origin = new URL(api).origin;
  assert.deepEqual(
    browser.requests.filter((request) => new URL(request.url).origin !== origin).map((request) => request.url),
    [],
    'the page talks only to the engine',
  );
  assert.deepEqual(browser.errors, [], 'no script error, no Content-Security-Policy violation');
  t.diagnostic(`the browser made ${browser.requests.length} requests, all to ${origin}`);
}

/**
 * The public trace page on ./ops/up: the ERP's batch, looked up from a code (in printed form, as the
 * engine issued it) typed in lower case, shows the manufacturer's verified step; no request of the page carries either code.
 */
async function checkTracePage(t: TestContext, api: string, codes: string[]): Promise<void> {
  const browser = await openBrowser(t, 'up-trace');
  const page = await browser.newPage({ locale: 'en-US' });
  await page.goto(`${api}/trace`);
  await page.getByTestId('trace-code').fill((codes[0] ?? '').toLowerCase());
  await page.getByTestId('trace-submit').click();
  await page.getByTestId('trace-step').first().waitFor({ timeout: 30_000 });
  assert.deepEqual(await page.getByTestId('trace-step-actor').allInnerTexts(), ['by Up Pharma, manufacturer']);
  assert.match(
    await page.getByTestId('trace-result').innerText(),
    /Produced[\s\S]*Signature verified[\s\S]*Up test product[\s\S]*国药准字H20065783/,
  );
  await browser.screenshot(page, 'trace-en');
  const spellings = codes.flatMap((code) => [
    code,
    code.toLowerCase(),
    normalizeTraceCode(code),
    normalizeTraceCode(code).toLowerCase(),
  ]);
  const needles: Needle[] = spellings.map((bytes, i) => ({
    label: `spelling ${i} of a code`,
    bytes: Buffer.from(bytes),
  }));
  const requests = browser.requests.map((request, i) => ({
    place: `request ${i} ${request.method} ${new URL(request.url).pathname}`,
    bytes: Buffer.concat([Buffer.from(request.url), request.body]),
  }));
  assert.deepEqual(findNeedles(requests, needles), [], 'the page sends only the public id');
  assert.deepEqual(browser.errors, [], 'no script error, no Content-Security-Policy violation');
}

/**
 * Every line ./ops/up wrote on stdout is a JSON log event (workers, API, intake included), and
 * none holds a secret of the stack, a trace code or the PHI of the messages it took.
 */
async function checkLogs(up: Running, home: string, sent: { erpToken: string; codes: string[] }): Promise<void> {
  const events = up
    .json()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { level?: string; component?: string; msg?: string });
  assert.ok(events.every((event) => typeof event.level === 'string' && typeof event.msg === 'string'));
  const components = new Set(events.map((event) => event.component));
  for (const component of ['temporal', 'worker', 'api', 'mllp', 'chain'])
    assert.ok(components.has(component), component);
  const secretFiles = (await filesUnder(home)).filter((path) =>
    /[/\\](codec-token|operator-password|\.dev-password|state-ref-key)$/.test(path),
  );
  assert.ok(secretFiles.length >= 3, secretFiles.join(' '));
  const codecKey = (await readFile(join(home, 'keys', 'codec-keys'), 'utf8')).trim().split(':')[1] ?? '';
  const needles: Needle[] = [
    { label: 'the ERP credential', bytes: Buffer.from(sent.erpToken) },
    ...sent.codes.map((code, i) => ({ label: `ERP trace code ${i}`, bytes: Buffer.from(code) })),
    { label: 'the codec key', bytes: Buffer.from(codecKey, 'base64') },
    ...(await Promise.all(
      secretFiles.map(async (path) => ({ label: path, bytes: Buffer.from((await readFile(path, 'utf8')).trim()) })),
    )),
    // the ADT^A01's patient and the demo's ORU^R01
    { label: 'a patient name', bytes: Buffer.from('EVERYMAN') },
    { label: 'a patient identifier', bytes: Buffer.from('PATID1234') },
    { label: 'the record text', bytes: Buffer.from('Huckleberry') },
  ];
  assert.deepEqual(findNeedles([{ place: 'the ./ops/up log', bytes: Buffer.from(up.json()) }], needles), []);
}

/**
 * With YILIAN_OTLP_ENDPOINT set, the ERP event is one trace: the dispatcher's start, the
 * traceEvent run, its child traceStep runs and their activities on both task queues.
 */
async function checkTraces(spans: () => ReceivedSpan[], eventId: string): Promise<void> {
  const names = [
    'StartWorkflow:traceEvent',
    'RunWorkflow:traceEvent',
    'RunWorkflow:traceStep',
    'RunActivity:proveTraceBatch',
    'RunActivity:pushTraceBatch',
  ];
  const deadline = Date.now() + 15_000;
  let trace: ReceivedSpan[] = [];
  for (;;) {
    const received = spans();
    const start = received.find((span) => span.name === 'StartWorkflow:traceEvent');
    trace = start ? received.filter((span) => span.traceId === start.traceId) : [];
    if (names.every((name) => trace.some((span) => span.name === name))) break;
    if (Date.now() > deadline)
      assert.fail(
        `no trace of ${eventId} with ${names.join(', ')}; received: ${[...new Set(received.map((s) => s.name))].join(', ')}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  assert.ok(
    trace.every((span) => span.name.startsWith('StartWorkflow') || span.parentSpanId),
    'every span below the start has its parent',
  );
}
