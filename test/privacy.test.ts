import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hexToBytes, type Hex } from 'viem';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { Redis } from 'ioredis';
import { loadKeystore } from '../core/keys/node/keystore-file.js';
import type { StoryOutcome } from '../ops/demo/story.js';
import { engineSecrets, runStoryOn, storySecrets } from './harness/story.js';
import { startScratchEngine, SCRATCH_PASSWORD, type ScratchEngine } from '../ops/scratch/engine.js';
import { startScratchRedis, tempDir } from '../ops/scratch/services.js';
import { startWorkerProcess, workerEnv, type WorkerProcess } from '../ops/scratch/worker-process.js';
import { filesUnder, findNeedles, readAll, type Needle } from './harness/privacy-scan.js';
import { waitFor } from './harness/intake.js';
import { CodecKeyring } from '../ops/codec/keyring.js';
import { openIntakeQueue, jobIdOf } from '../connectors/intake/queue.js';
import { startDispatcher } from '../connectors/intake/dispatcher.js';
import { DEFAULT_GROUPING } from '../connectors/intake/anchor-groups.js';
import { startScratchListener } from '../ops/scratch/intake.js';
import { Client as MllpClient, fixture } from '../connectors/mllp/test-helpers.js';
import { createLogger } from '../ops/telemetry/log.js';
import { parseExposition, total } from '../ops/telemetry/test-helpers.js';
import { freePort } from '../ops/services/ports.js';

/**
 * Invariant 1: after the full flows, no plaintext record, trace code or secret key is in the
 * Temporal database, the chain's data, the content store, Redis or any log: the worker process's
 * JSON log and the intake's (listener and dispatcher, logged as ./ops/up logs them), both at
 * debug, the most they ever write.
 */
describe('privacy: what the stores and logs hold after the full flows', () => {
  let stack: ScratchEngine;
  let temporalDir: Awaited<ReturnType<typeof tempDir>>;
  let redis: Awaited<ReturnType<typeof startScratchRedis>>;
  let worker: WorkerProcess;
  let outcome: StoryOutcome;
  let storyLog = '';
  let haystacks: Array<{ place: string; bytes: Buffer }>;
  let needles: Needle[];
  let intakeJobId: string;
  let batchWorkflowId = '';
  // the intake's parts, closed as soon as its message is anchored, or by `after` if it never is
  const intake: Array<() => Promise<void>> = [];
  const closeIntake = async () => {
    for (const close of intake.splice(0).reverse()) await close();
  };
  let workerEvents: Array<Record<string, unknown>>;
  let workerMetrics: string;

  before(async () => {
    temporalDir = await tempDir('temporal-db');
    [stack, redis] = await Promise.all([
      startScratchEngine({ temporalDb: join(temporalDir.path, 'temporal.sqlite') }),
      startScratchRedis(),
    ]);
    const metricsPort = await freePort();
    worker = await startWorkerProcess({
      ...workerEnv(stack),
      YILIAN_LOG_LEVEL: 'debug',
      YILIAN_METRICS_PORT: String(metricsPort),
    });
    outcome = await runStoryOn(stack, { batchSize: 16, say: (line) => void (storyLog += `${line}\n`) });
    // what a record's or key's plaintext would look like wherever it leaked
    const walletSecrets = await Promise.all(
      (['alice', 'carol', 'charlie'] as const).map(async (who) => {
        const wallet = outcome.people[who];
        const dir = join(stack.home, 'wallets', `${who}-${outcome.runId}`);
        const material = await loadKeystore(dir, hexToBytes(wallet.identity.address), SCRATCH_PASSWORD);
        return [
          { label: `${who}'s signing key`, bytes: material.signingKey },
          ...material.prekeys.map((k) => ({ label: `${who}'s prekey secret ${k.id}`, bytes: k.secretKey })),
          ...material.preKeys.map((k) => ({ label: `${who}'s grantee key ${k.id}`, bytes: k.secretKey })),
        ];
      }),
    );
    needles = [...storySecrets(outcome), ...walletSecrets.flat(), ...(await engineSecrets(stack, outcome))];

    // the story's HL7 message also comes in over MLLP, as a hospital sends it: through the
    // listener, the sealed intake queue in Redis and the dispatcher, into a workflow of its own
    const keys = CodecKeyring.parse(stack.codecKeys);
    const queue = await openIntakeQueue({ redisUrl: redis.url, keys, taskQueue: stack.taskQueue });
    intake.push(() => queue.close());
    const intakeLines: string[] = [];
    const intakeLog = createLogger({
      level: 'debug',
      destination: { write: (line: string) => void intakeLines.push(line) },
    });
    const dispatcher = startDispatcher({
      redisUrl: redis.url,
      keys,
      client: stack.client,
      taskQueue: stack.taskQueue,
      grouping: DEFAULT_GROUPING,
      log: (line, fields) => intakeLog.child({ component: 'dispatch' }).warn(fields ?? {}, line),
    });
    intake.push(() => dispatcher.close());
    const hospital = outcome.localIdentities[0] ?? '';
    const listener = await startScratchListener({
      queue,
      hospital: { name: 'hospital', address: hospital },
      log: intakeLog,
    });
    intake.push(() => listener.close());
    const mllp = await MllpClient.connect(listener.address.port);
    const message = fixture('ORU-R01-01')
      .replace('20120314235954.325', `privacy-${outcome.runId}`)
      .replace('PID|1||14^', `PID|1||${outcome.patient.identifier}^`);
    const [, msa] = await mllp.roundTrip(message);
    assert.equal(msa?.[1], 'CA', 'the intake acknowledged the message');
    mllp.close();
    const messageKey = `hl7:IA Public Health Lab^2.16.840.1.114222.4.1.10411^ISO:2.16.840.1.114222.4.3.3.5.1.2-privacy-${outcome.runId}`;
    intakeJobId = jobIdOf(messageKey);
    // the story's patient has enrolled: her message is sealed and anchored in a batch execution
    await waitFor(
      'the intake message anchored by its batch',
      async () => (await stack.engine.state.anchoredMessage(messageKey))?.record,
    );
    for await (const run of stack.client.workflow.list({ query: `WorkflowType = 'anchorBatch'` }))
      batchWorkflowId = run.workflowId;
    await closeIntake();
    const client = new Redis(redis.url);
    await client.save();
    client.disconnect();
    // the worker host's own /metrics: scanned below like the logs (no label may carry what it saw)
    workerMetrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    await writeFile(join(temporalDir.path, 'worker-metrics.txt'), workerMetrics);
    await worker.kill();
    await writeFile(join(temporalDir.path, 'worker.log'), worker.output());
    workerEvents = worker
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

    const logs = [
      join(temporalDir.path, 'worker.log'),
      join(temporalDir.path, 'worker-metrics.txt'),
      await writeLog(temporalDir.path, 'intake.log', intakeLines.join('')),
      await writeLog(temporalDir.path, 'story.log', storyLog),
      ...(await filesUnder(join(stack.devchain.dataDir, '..'))).filter((f) => f.endsWith('.log')),
    ];
    haystacks = await readAll([
      ...(await filesUnder(temporalDir.path)).filter((f) => f.includes('temporal.sqlite')),
      ...(await filesUnder(stack.devchain.dataDir)),
      ...(await filesUnder(join(stack.home, 'blocks'))),
      ...(await filesUnder(redis.dataDir)),
      ...logs,
    ]);
  });
  after(async () => {
    await closeIntake();
    await worker.kill();
    await stack.stop();
    await redis.stop();
    await temporalDir.remove();
  });

  test('the scan reads the real stores: controls are found where they must be', () => {
    const places = haystacks.map((h) => h.place);
    assert.ok(
      places.some((p) => p.includes('temporal.sqlite')),
      'the Temporal SQLite file is scanned',
    );
    assert.ok(
      places.some((p) => p.includes(stack.devchain.dataDir)),
      'the chain data is scanned',
    );
    assert.ok(
      places.some((p) => p.includes(join(stack.home, 'blocks'))),
      'the content store is scanned',
    );
    const controls: Needle[] = [
      { label: 'a workflow id', bytes: utf8ToBytes(outcome.recordWorkflowId) },
      { label: 'a trace id', bytes: hexToBytes(outcome.traceIds[0] as Hex) },
      { label: 'an intake job id', bytes: utf8ToBytes(intakeJobId) },
      { label: 'a batch execution id', bytes: utf8ToBytes(batchWorkflowId) },
      { label: "the demo's step text", bytes: utf8ToBytes('Every step verified') },
    ];
    const found = findNeedles(haystacks, controls);
    assert.ok(
      found.some((f) => f.startsWith('a workflow id in') && f.includes('temporal.sqlite')),
      found.join('\n'),
    );
    assert.ok(
      found.some((f) => f.startsWith('a batch execution id in') && f.includes('temporal.sqlite')),
      `the intake's message went through a batch execution (${batchWorkflowId}):\n${found.join('\n')}`,
    );
    assert.ok(
      found.some((f) => f.startsWith('a trace id in') && f.includes(stack.devchain.dataDir)),
      found.join('\n'),
    );
    assert.ok(
      found.some((f) => f.startsWith('an intake job id in') && f.includes(redis.dataDir)),
      found.join('\n'),
    );
    assert.ok(
      found.some((f) => f.startsWith("the demo's step text in") && f.endsWith('story.log')),
      found.join('\n'),
    );
  });

  test("the worker host serves its runs' metrics on YILIAN_METRICS_PORT, in Prometheus text", async () => {
    const samples = await parseExposition(workerMetrics);
    for (const type of ['anchorRecord', 'grantAccess', 'traceStep'])
      assert.ok(
        total(samples, 'yilian_workflows_closed_total', { workflow_type: type, outcome: 'completed' }) >= 1,
        type,
      );
    assert.ok(total(samples, 'temporal_worker_task_slots_available') > 0, "the Temporal runtime's own");
  });

  test('the logs scanned are the JSON ones, with the workflow id of each event that concerns one', () => {
    const lines = worker
      .output()
      .split('\n')
      .filter((line) => line !== '');
    assert.ok(lines.length > 20, `${lines.length} worker log lines`);
    assert.deepEqual(
      lines.filter((line) => !line.startsWith('{')),
      [],
      'every line the worker process wrote is a JSON event',
    );
    assert.ok(
      workerEvents.some((event) => event.workflowId === outcome.recordWorkflowId && event.level === 'debug'),
      'the record workflow is found by its id in the worker log at debug',
    );
    const intake = haystacks.find((h) => h.place.endsWith('intake.log'));
    const intakeEvents = (intake?.bytes.toString() ?? '')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(
      intakeEvents.some((event) => event.component === 'mllp' && event.event === 'connection-close'),
      'the intake logged its connection',
    );
  });

  test('no plaintext record, patient identifier, trace code or secret key anywhere', () => {
    assert.ok(needles.length >= 40, `${needles.length} needles`);
    assert.deepEqual(findNeedles(haystacks, needles), []);
  });
});

async function writeLog(dir: string, name: string, text: string): Promise<string> {
  await writeFile(join(dir, name), text);
  return join(dir, name);
}
