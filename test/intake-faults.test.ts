/**
 * Faults under a live HL7 feed: Temporal killed, Redis killed and restarted, while one MLLP
 * connection keeps sending. The queue is the buffer: while Temporal is away the intake keeps
 * acknowledging; while Redis is away it answers AR and the sender resends, as an HIS does. After
 * recovery every acknowledged message is in Temporal, in the signals of its batch execution (the
 * default grouping dispatcher), and no refused one is. A message signalled twice (its job could
 * not be marked done as Redis died) is anchored once by the batch run's seen keys and its claim:
 * test/anchor-batch.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startDispatcher, type Dispatcher } from '../connectors/intake/dispatcher.js';
import { openIntakeQueue, type IntakeQueue } from '../connectors/intake/queue.js';
import type { MllpListener } from '../connectors/mllp/listener.js';
import { startScratchListener } from '../ops/scratch/intake.js';
import { Client as MllpClient } from '../connectors/mllp/test-helpers.js';
import { startScratchRedis } from '../ops/scratch/services.js';
import { DEFAULT_GROUPING } from '../connectors/intake/anchor-groups.js';
import { codecClient, messagesSignalled, newKeyring, restartableTemporal, waitFor } from './harness/intake.js';

let temporal: Awaited<ReturnType<typeof restartableTemporal>> | undefined;
let redis: Awaited<ReturnType<typeof startScratchRedis>> | undefined;
let queue: IntakeQueue | undefined;
let dispatcher: Dispatcher | undefined;
let listener: MllpListener | undefined;
const keys = newKeyring();
const taskQueue = `intake-faults-${randomBytes(4).toString('hex')}`;

before(async () => {
  // one after the other, so that `after` stops whichever started when the other did not
  redis = await startScratchRedis();
  temporal = await restartableTemporal();
  queue = await openIntakeQueue({ redisUrl: redis.url, keys, taskQueue, commandTimeoutMs: 2000 });
  // retries every second at most, so recovery shows within the test's patience
  const retry = { firstDelayMs: 200, maxDelayMs: 1000, windowMs: 3600_000 };
  dispatcher = startDispatcher({
    redisUrl: redis.url,
    keys,
    client: codecClient(temporal.address, keys),
    taskQueue,
    retry,
    grouping: DEFAULT_GROUPING,
  });
  listener = await startScratchListener({ queue, hospital: { name: 'hospital', address: `0x${'11'.repeat(20)}` } });
});
after(async () => {
  // what `before` got to start, so that a failed start ends the file instead of keeping it alive
  await listener?.close();
  await dispatcher?.close();
  await queue?.close();
  await redis?.stop();
  await temporal?.remove();
});

const message = (n: number, pid = true) =>
  `MSH|^~\\&|LAB|FAULTS|YILIAN|HOSP|20261202120000||ORU^R01|F-${n}|P|2.5\r` +
  (pid ? `PID|1||P${n % 7}^^^MRN\r` : '') +
  `OBX|1|NM|GLU||${n}|mg/dL\r`;

test('Temporal killed and Redis killed mid-stream: every acknowledged message reaches its batch execution, no refused one does', async () => {
  if (!temporal || !redis || !listener) return assert.fail('before started Temporal, Redis and the listener');
  const [services, door] = [{ temporal, redis }, listener];
  const sender = await MllpClient.connect(door.address.port);
  const codes = new Map<number, string>();
  const send = async (n: number, pid = true) => {
    const [, msa] = await sender.roundTrip(message(n, pid));
    codes.set(n, msa?.[1] ?? '');
  };
  const TOTAL = 240;
  for (let n = 0; n < TOTAL; n++) {
    if (n === 40) await services.temporal.kill();
    if (n === 100) await services.redis.kill();
    if (n === 140) await services.redis.start();
    if (n === 200) await services.temporal.start();
    // a message without PID every so often: refused with AE whatever else is down
    await send(n, n % 25 !== 7);
    // once Redis is back, the HIS paces its sends while they are refused (the queue's client
    // reconnects on its own backoff, longer on a busy machine)
    if (n >= 140 && codes.get(n) === 'AR') await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const accepted = (from: number, to: number) =>
    [...codes].filter(([n, code]) => n >= from && n < to && code === 'AA').length;
  const expectedOk = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) => from + i).filter((n) => n % 25 !== 7).length;
  assert.equal(accepted(40, 100), expectedOk(40, 100), 'Temporal down: the queue takes the feed, every message AA');
  assert.ok(
    [...codes].filter(([n, code]) => n >= 101 && n < 140 && code === 'AR').length >= 30,
    'Redis down: AR, the message is not taken',
  );
  // the queue's client reconnects on its own backoff once Redis is back: messages until then get AR
  // (the HIS resends them below), and from the first AA on, every message is taken again
  const back = [...codes].find(([n, code]) => n >= 140 && code === 'AA')?.[0] ?? TOTAL;
  assert.ok(back < 190, `Redis back: AA again within 50 paced messages, 10 s (first AA at F-${back})`);
  assert.equal(accepted(back, TOTAL), expectedOk(back, TOTAL), 'Redis back: AA again');
  for (const [n, code] of codes) if (n % 25 === 7) assert.equal(code, 'AE', `F-${n} without PID`);

  // the HIS resends what got AR; a copy that Redis took as it died is a duplicate, answered AA
  for (const [n, code] of [...codes]) if (code === 'AR') await send(n);
  sender.close();
  const expected = [...codes].filter(([, code]) => code === 'AA').map(([n]) => n);
  assert.equal(expected.length, TOTAL - Math.ceil(TOTAL / 25), 'every message with a PID is acknowledged in the end');

  const client = codecClient(services.temporal.address, keys);
  const { byKey } = await waitFor(
    'every acknowledged message in Temporal',
    async () => {
      const signalled = await messagesSignalled(client, taskQueue);
      return expected.every((n) => signalled.byKey.has(`hl7:FAULTS:F-${n}`)) ? signalled : undefined;
    },
    180_000,
  );
  assert.deepEqual(
    [...byKey.keys()].sort(),
    expected.map((n) => `hl7:FAULTS:F-${n}`).sort(),
    'and nothing else: no refused message was sent',
  );
  await client.connection.close();
});
