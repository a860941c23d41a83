import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Queue } from 'bullmq';
import type { Client } from '@temporalio/client';
import { repoRoot } from '../../ops/config/index.js';
import { startScratchRedis, tempDir } from '../../ops/scratch/services.js';
import {
  codecClient,
  entryOf,
  hl7Work,
  newKeyring,
  restartableTemporal,
  runsOn,
  waitFor,
} from '../../test/harness/intake.js';
import { openIntakeAdmin } from './admin.js';
import { startDispatcher, type Dispatcher } from './dispatcher.js';
import { INTAKE_PREFIX, intakeQueueName, openIntakeQueue, type IntakeQueue } from './queue.js';
import type { RetryPolicy } from './retry.js';
import type { IntakeKeys } from './sealed-job.js';

/** Short waits, so the tests see several retries; the policy is the production one scaled down. */
const retry: RetryPolicy = { firstDelayMs: 200, maxDelayMs: 1000, windowMs: 10 * 60_000 };

describe('dispatcher: intake jobs become workflow starts on a real Temporal', () => {
  let redis: Awaited<ReturnType<typeof startScratchRedis>>;
  let temporal: Awaited<ReturnType<typeof restartableTemporal>>;
  let client: Client;
  const keys = newKeyring();
  const opened: Array<{ close(): Promise<void> }> = [];
  let n = 0;

  /** A fresh task queue (hence intake queue) per test, with its queue and an inspector on it. */
  async function lane() {
    const taskQueue = `dispatch-${n++}`;
    const queue: IntakeQueue = await openIntakeQueue({ redisUrl: redis.url, keys, taskQueue, retry });
    const admin = await openIntakeAdmin({ redisUrl: redis.url, keys, taskQueue });
    opened.push(queue, admin);
    const dispatcher = (options: { keys?: IntakeKeys } = {}): Dispatcher => {
      const started = startDispatcher({
        redisUrl: redis.url,
        keys: options.keys ?? keys,
        client,
        taskQueue,
        retry,
        startTimeoutMs: 1500,
      });
      opened.push(started);
      return started;
    };
    return { taskQueue, queue, admin, dispatcher };
  }

  before(async () => {
    [redis, temporal] = await Promise.all([startScratchRedis(), restartableTemporal()]);
    client = codecClient(temporal.address, keys);
  });
  after(async () => {
    for (const thing of opened.reverse()) await thing.close();
    await client.connection.close();
    await Promise.all([redis.stop(), temporal.remove()]);
  });

  test('two dispatchers at once start every job once, under the id its message derives; a job run again starts nothing new', async () => {
    const { taskQueue, queue, admin, dispatcher } = await lane();
    const ids = Array.from({ length: 40 }, (_, i) => `TWO-${i}`);
    for (const id of ids) assert.equal(await queue.enqueue(entryOf(hl7Work(id))), 'queued');
    dispatcher();
    dispatcher();
    await waitFor('40 completed', async () => ((await admin.stats()).completed === 40 ? true : undefined));
    const runs = await waitFor('40 runs listed', async () => {
      const listed = await runsOn(client, taskQueue);
      return listed.size === 40 ? listed : undefined;
    });
    assert.deepEqual([...runs.keys()].sort(), ids.map((id) => `hl7:FAC:${id}`).sort());
    assert.ok([...runs.values()].every((count) => count === 1));
    const described = await client.workflow.getHandle('hl7:FAC:TWO-7').describe();
    assert.equal(described.type, 'anchorRecord');
    assert.equal(described.status.name, 'RUNNING');
    assert.equal(described.taskQueue, taskQueue);

    // at-least-once: every job dispatched a second time
    const bull = new Queue(intakeQueueName(taskQueue), { connection: { port: redis.port }, prefix: INTAKE_PREFIX });
    opened.push(bull);
    for (const job of await bull.getCompleted(0, -1)) await job.retry('completed');
    await waitFor('40 completed again', async () => ((await admin.stats()).completed === 40 ? true : undefined));
    const again = await runsOn(client, taskQueue);
    assert.equal(again.size, 40);
    assert.ok([...again.values()].every((count) => count === 1));
    assert.equal((await client.workflow.getHandle('hl7:FAC:TWO-7').describe()).runId, described.runId);
  });

  test('Temporal away: jobs wait and retry while the intake keeps queuing; back: every job starts, once', async () => {
    const { taskQueue, queue, admin, dispatcher } = await lane();
    dispatcher();
    await temporal.stop();
    try {
      const ids = Array.from({ length: 20 }, (_, i) => `AWAY-${i}`);
      for (const id of ids) assert.equal(await queue.enqueue(entryOf(hl7Work(id))), 'queued');
      const retrying = await waitFor('a job retrying', async () => {
        const [job] = await admin.list('delayed', 1);
        return job && job.attempts >= 1 ? job : undefined;
      });
      assert.match(
        retrying.lastError ?? '',
        /^starting anchorRecord hl7:FAC:AWAY-\d+: Temporal (UNAVAILABLE|DEADLINE_EXCEEDED)/,
      );
      assert.equal((await admin.stats()).dead, 0);
    } finally {
      await temporal.start();
    }
    await waitFor('20 completed', async () => ((await admin.stats()).completed === 20 ? true : undefined), 120_000);
    const runs = await waitFor('20 runs listed', async () => {
      const listed = await runsOn(client, taskQueue);
      return listed.size === 20 ? listed : undefined;
    });
    assert.ok([...runs.values()].every((count) => count === 1));
  });

  test('a job that can never start is dead-lettered at once, the feed behind it continues, and redrive runs it again', async () => {
    const { taskQueue, queue, admin, dispatcher } = await lane();
    // sealed with a key this dispatcher lacks
    const otherKeys = newKeyring('k9');
    const foreign = await openIntakeQueue({ redisUrl: redis.url, keys: otherKeys, taskQueue, retry });
    opened.push(foreign);
    await foreign.enqueue(entryOf(hl7Work('POISON-KEY')));
    // an id over Temporal's length limit: the server refuses it with INVALID_ARGUMENT
    const tooLong = `LONG-${'x'.repeat(2000)}`;
    await queue.enqueue(entryOf(hl7Work(tooLong)));
    for (let i = 0; i < 10; i++) await queue.enqueue(entryOf(hl7Work(`AFTER-POISON-${i}`)));
    const first = dispatcher();

    await waitFor('2 dead, 10 completed', async () => {
      const stats = await admin.stats();
      return stats.dead === 2 && stats.completed === 10 ? stats : undefined;
    });
    const dead = await admin.list('dead', 10);
    const byKey = new Map(dead.map((job) => [job.key, job]));
    assert.match(
      byKey.get('hl7:FAC:POISON-KEY')?.lastError ?? '',
      /sealed with codec key "k9", which this keyring does not hold/,
    );
    assert.equal(byKey.get('hl7:FAC:POISON-KEY')?.attempts, 1);
    assert.match(byKey.get(`hl7:FAC:${tooLong}`)?.lastError ?? '', /Temporal INVALID_ARGUMENT/);
    assert.equal(byKey.get(`hl7:FAC:${tooLong}`)?.attempts, 1);

    // a re-sent poison message is still recognised, not queued again
    assert.equal(await foreign.enqueue(entryOf(hl7Work('POISON-KEY'))), 'duplicate');

    // the keyring gains the key (a rotation reached this host): redrive, and it starts
    await first.close();
    dispatcher({
      keys: {
        currentId: keys.currentId,
        current: keys.current,
        key: (id) => keys.key(id) ?? otherKeys.key(id),
      },
    });
    await admin.redrive('hl7:FAC:POISON-KEY');
    await waitFor('the redriven job completed', async () =>
      (await admin.show('hl7:FAC:POISON-KEY'))?.state === 'completed' ? true : undefined,
    );
    assert.equal((await client.workflow.getHandle('hl7:FAC:POISON-KEY').describe()).status.name, 'RUNNING');
    await assert.rejects(admin.redrive('hl7:FAC:POISON-KEY'), /is completed, not dead-lettered/);
    assert.equal((await admin.stats()).dead, 1);
    assert.equal((await runsOn(client, taskQueue)).size, 11);
  });

  test('SIGKILL a dispatcher process mid-stream: after a restart every job has started, once', async () => {
    const { taskQueue, queue, admin } = await lane();
    const home = await tempDir('dispatcher-home');
    opened.push({ close: home.remove });
    const env = {
      ...process.env,
      YILIAN_HOME: home.path,
      YILIAN_TEMPORAL_MODE: 'external',
      YILIAN_TEMPORAL_ADDRESS: temporal.address,
      YILIAN_REDIS_MODE: 'external',
      YILIAN_REDIS_URL: redis.url,
      YILIAN_CODEC_KEYS: `${keys.currentId}:${Buffer.from(keys.current).toString('base64')}`,
      YILIAN_TASK_QUEUE: taskQueue,
    };
    const spawnDispatcher = async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'ops/workers/main.ts', 'dispatcher'], {
        cwd: repoRoot,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      opened.push({
        async close() {
          if (child.exitCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
      await waitFor('the dispatcher process', () => {
        if (child.exitCode !== null) throw new Error(`dispatcher exited:\n${output}`);
        return output.includes('dispatcher taking intake jobs') ? true : undefined;
      });
      return { child, exited, output: () => output };
    };

    const total = 300;
    const first = await spawnDispatcher();
    let queued = 0;
    const feeding = (async () => {
      for (; queued < total; queued++) assert.equal(await queue.enqueue(entryOf(hl7Work(`KILL-${queued}`))), 'queued');
    })();
    await waitFor('50 completed', async () => ((await admin.stats()).completed >= 50 ? true : undefined));
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await admin.stats();
    assert.ok(atKill.completed < total && atKill.active > 0, `killed mid-job (${JSON.stringify(atKill)})`);
    await feeding;

    const second = await spawnDispatcher();
    // jobs the killed process held come back once their lock expires (30 s)
    await waitFor(
      `all ${total} completed`,
      async () => ((await admin.stats()).completed === total ? true : undefined),
      120_000,
    );
    const runs = await waitFor(`${total} runs listed`, async () => {
      const listed = await runsOn(client, taskQueue);
      return listed.size === total ? listed : undefined;
    });
    assert.ok([...runs.values()].every((count) => count === 1));
    assert.equal((await admin.stats()).dead, 0, second.output());
  });
});
