import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:net';
import { chmod, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Connection, WorkflowClient } from '@temporalio/client';
import type { StorySummary } from '../demo/story.js';
import { generateTraceCode } from '../../core/crypto/index.js';
import { freePort } from '../services/ports.js';
import { tempDir } from '../scratch/services.js';
import { loadConfig, repoRoot } from '../config/index.js';
import { codecFromConfig } from '../codec/from-config.js';
import { parseCid } from '../../core/storage/index.js';
import { EmbeddedContentStore } from '../../core/storage/node/index.js';
import { recordIdOf } from '../../core/records/record-format.js';
import { hexToBytes, toHex } from 'viem';
import { checkAck, fixture, frame, mllpSend } from '../../connectors/mllp/test-helpers.js';

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts the supervisor as `./ops/up` does after bootstrapping, and waits for its `ready` line. */
function startUp(env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'ops/stack/up.ts'], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr.on('data', (data: Buffer) => (output += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, output: () => output, exited };
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

  test('starts every component, serves /healthz and the Web UI, stops on SIGINT and keeps data on restart', async () => {
    const first = startUp(env);
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
    await waitFor(first, /^api 400 GET "\/inbox\/%E0%A4%A": the path has a malformed percent-escape$/m, 5000);
    assert.equal(first.output().match(/^api 413 POST "\/codec\/login": the request body is larger/gm)?.length, 1);
    assert.doesNotMatch(first.output(), /\bat .*node_modules/, 'no stack in the log either');

    // a hospital feed pointed at the stack: the open routing takes it, signs with the hospital identity
    const feed = join(home.path, 'feed.mllp');
    const message = fixture('ADT-A01-01');
    await writeFile(feed, frame(message));
    const [ack] = await mllpSend(ports.mllp, feed, false);
    checkAck(ack ?? '', message, 'ADT^A01 to ./ops/up');
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
    const batch = await fetch(`${api}/v1/trace/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${erpToken}`, 'idempotency-key': 'UP-1', 'content-type': 'application/json' },
      body: JSON.stringify({
        product: 'Up test product',
        nationalDrugCode: '国药准字H20065783',
        lot: 'UP-LOT-1',
        manufacturedOn: '2026-11-02',
        expiresOn: '2028-11-01',
        items: [{ code: generateTraceCode() }, { code: generateTraceCode() }],
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

    const second = startUp(env);
    try {
      await waitFor(second, /^ready /m);
      assert.match(second.output(), /contracts found/, 'the restart keeps the chain and its contracts');
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
