import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { repoRoot } from '../config/index.js';
import { freePort } from '../services/ports.js';
import { startScratchRedis, tempDir } from '../scratch/services.js';
import { entryOf, hl7Work, newKeyring, PATIENT_NAME, waitFor } from '../../test/harness/intake.js';
import { openIntakeQueue, type IntakeQueue } from '../../connectors/intake/queue.js';
import { openIntakeAdmin, type IntakeAdmin } from '../../connectors/intake/admin.js';
import { startDispatcher, type Dispatcher } from '../../connectors/intake/dispatcher.js';

const run = promisify(execFile);
const keys = newKeyring();
const taskQueue = 'cli-queue';
let dir: Awaited<ReturnType<typeof tempDir>>;
let redis: Awaited<ReturnType<typeof startScratchRedis>>;
let queue: IntakeQueue;
let admin: IntakeAdmin;
let dispatcher: Dispatcher;
let connection: Connection;
let env: NodeJS.ProcessEnv;

const yilian = (...args: string[]) =>
  run(process.execPath, [join(repoRoot, 'ops/bin/yilian.mjs'), 'queue', ...args], { env, cwd: dir.path });

before(async () => {
  [dir, redis] = await Promise.all([tempDir('cli-queue'), startScratchRedis()]);
  env = {
    ...process.env,
    YILIAN_HOME: join(dir.path, 'home'),
    YILIAN_TEMPORAL_MODE: 'external',
    YILIAN_REDIS_MODE: 'external',
    YILIAN_REDIS_URL: redis.url,
    YILIAN_CODEC_KEYS: `${keys.currentId}:${Buffer.from(keys.current).toString('base64')}`,
    YILIAN_TASK_QUEUE: taskQueue,
  };
  queue = await openIntakeQueue({ redisUrl: redis.url, keys, taskQueue });
  admin = await openIntakeAdmin({ redisUrl: redis.url, keys, taskQueue });
  // a job this engine cannot open is dead-lettered; the others find no Temporal and wait
  const foreign = await openIntakeQueue({ redisUrl: redis.url, keys: newKeyring('k9'), taskQueue });
  await foreign.enqueue(entryOf(hl7Work('CLI-POISON')));
  await foreign.enqueue(entryOf(hl7Work('CLI-POISON-2')));
  await foreign.close();
  for (let i = 0; i < 3; i++) await queue.enqueue(entryOf(hl7Work(`CLI-${i}`)));
  connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  dispatcher = startDispatcher({
    redisUrl: redis.url,
    keys,
    client: new Client({ connection }),
    taskQueue,
    startTimeoutMs: 500,
  });
  await waitFor('2 dead, 3 delayed', async () => {
    const stats = await admin.stats();
    return stats.dead === 2 && stats.delayed === 3 ? true : undefined;
  });
  await dispatcher.close();
});
after(async () => {
  await dispatcher.close();
  await connection.close();
  await admin.close();
  await queue.close();
  await redis.stop();
  await dir.remove();
});

test('yilian queue stats counts jobs per state', async () => {
  const { stdout } = await yilian('stats');
  assert.match(stdout, /^waiting +0$/m);
  assert.match(stdout, /^delayed +3$/m);
  assert.match(stdout, /^dead +2$/m);
  assert.match(stdout, /^completed +0$/m);
});

test('yilian queue list shows ids, attempts, times and the last error (ours), never a body', async () => {
  const dead = (await yilian('list')).stdout;
  assert.match(
    dead,
    /^hl7:FAC:CLI-POISON {2}dead {2}attempts 1\/\d+ {2}queued \S+Z {2}finished \S+Z {2}error: job hl7:FAC:CLI-POISON: sealed with codec key "k9", which this keyring does not hold$/m,
  );
  const delayed = (await yilian('list', '--state', 'delayed', '--limit', '2')).stdout.trim().split('\n');
  assert.equal(delayed.length, 2);
  assert.match(
    delayed[0] ?? '',
    /^hl7:FAC:CLI-\d {2}delayed {2}attempts 1\/\d+ {2}queued \S+ {2}retry \S+ {2}error: starting anchorRecord hl7:FAC:CLI-\d: Temporal /,
  );
  assert.ok(!dead.includes(PATIENT_NAME) && !delayed.join().includes(PATIENT_NAME));
  await assert.rejects(
    yilian('list', '--state', 'lost'),
    /option '--state <state>' argument 'lost' is invalid\. expected one of waiting, active, delayed, completed, dead/,
  );
});

test('yilian queue show prints metadata, and the decrypted body only with --body', async () => {
  const { stdout } = await yilian('show', 'hl7:FAC:CLI-1');
  const shown = JSON.parse(stdout) as Record<string, unknown>;
  assert.equal(shown.key, 'hl7:FAC:CLI-1');
  assert.equal(shown.workflow, 'anchorRecord');
  assert.equal(shown.channel, 'mllp');
  assert.equal(shown.state, 'delayed');
  assert.ok(!stdout.includes(PATIENT_NAME));
  const withBody = (await yilian('show', 'hl7:FAC:CLI-1', '--body')).stdout;
  assert.ok(withBody.includes(PATIENT_NAME));
  await assert.rejects(yilian('show', 'hl7:FAC:NOPE'), (error: { code: number; stderr: string }) => {
    assert.equal(error.code, 2);
    assert.match(error.stderr, /^yilian: no intake job hl7:FAC:NOPE/);
    return true;
  });
});

test('yilian queue redrive puts a dead-lettered job back; --all every one; a live job is not redriven', async () => {
  await assert.rejects(yilian('redrive', 'hl7:FAC:CLI-0'), /hl7:FAC:CLI-0 is delayed, not dead-lettered/);
  await assert.rejects(yilian('redrive'), /give either a job id or --all/);
  assert.equal((await yilian('redrive', 'hl7:FAC:CLI-POISON')).stdout.trim(), 'redriven hl7:FAC:CLI-POISON');
  const back = await admin.show('hl7:FAC:CLI-POISON');
  assert.equal(back?.state, 'waiting');
  assert.equal(back.attempts, 0);
  assert.equal((await yilian('redrive', '--all')).stdout.trim(), 'redriven 1 jobs');
  assert.equal((await admin.stats()).dead, 0);
  assert.equal((await admin.stats()).waiting, 2);
});
