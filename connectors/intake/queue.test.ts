import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { startScratchRedis } from '../../ops/scratch/services.js';
import { entryOf, hl7Work, newKeyring, PATIENT_ID, PATIENT_NAME } from '../../test/harness/intake.js';
import { filesUnder, findNeedles, readAll } from '../../test/harness/privacy-scan.js';
import { openIntakeAdmin, type IntakeAdmin } from './admin.js';
import { jobIdOf, openIntakeQueue, type IntakeQueue } from './queue.js';

describe('intake queue on a real Redis (appendfsync always)', () => {
  let redis: Awaited<ReturnType<typeof startScratchRedis>>;
  let queue: IntakeQueue;
  let admin: IntakeAdmin;
  const keys = newKeyring();
  const taskQueue = 'queue-test';

  before(async () => {
    redis = await startScratchRedis();
    queue = await openIntakeQueue({ redisUrl: redis.url, keys, taskQueue, commandTimeoutMs: 2000 });
    admin = await openIntakeAdmin({ redisUrl: redis.url, keys, taskQueue });
  });
  after(async () => {
    await admin.close();
    await queue.close();
    await redis.stop();
  });

  test('queued, then the same bytes again is a duplicate, other bytes under the same id a conflict; the first stands', async () => {
    const first = entryOf(hl7Work('Q1'));
    assert.equal(await queue.enqueue(first), 'queued');
    assert.equal(await queue.enqueue(entryOf(hl7Work('Q1'))), 'duplicate');
    assert.equal(await queue.enqueue(entryOf(hl7Work('Q1', 'another finding'))), 'conflict');
    const stored = await admin.body(first.key);
    assert.equal(stored.digest, Buffer.from(first.digest).toString('hex'));
    assert.deepEqual(stored.work, first.work);
    assert.equal((await admin.stats()).waiting, 1);
  });

  test('racing enqueues of one id: exactly one is queued, the others see it', async () => {
    const same = await Promise.all(Array.from({ length: 16 }, () => queue.enqueue(entryOf(hl7Work('RACE-SAME')))));
    assert.deepEqual(same.filter((o) => o === 'queued').length, 1, same.join());
    assert.ok(
      same.every((o) => o === 'queued' || o === 'duplicate'),
      same.join(),
    );

    const entries = Array.from({ length: 16 }, (_, i) => entryOf(hl7Work('RACE-DIFF', `finding ${i}`)));
    const outcomes = await Promise.all(entries.map((entry) => queue.enqueue(entry)));
    assert.equal(outcomes.filter((o) => o === 'queued').length, 1, outcomes.join());
    assert.ok(
      outcomes.every((o) => o === 'queued' || o === 'conflict'),
      outcomes.join(),
    );
    const winner = entries[outcomes.indexOf('queued')];
    assert.equal((await admin.body('hl7:FAC:RACE-DIFF')).digest, Buffer.from(winner?.digest ?? []).toString('hex'));
  });

  test('an entry whose key is not the workflow id its work derives is refused', async () => {
    const entry = { ...entryOf(hl7Work('Q2')), key: 'hl7:FAC:OTHER' };
    await assert.rejects(
      queue.enqueue(entry),
      /hl7:FAC:OTHER: the key must be the workflow id its work derives \(hl7:FAC:Q2\)/,
    );
    await assert.rejects(queue.enqueue({ ...entryOf(hl7Work('Q2')), digest: new Uint8Array(31) }), /32-byte sha256/);
  });

  test('Redis killed: enqueue rejects at once; back: the same queue object works, and what was acknowledged survived', async () => {
    const acknowledged = entryOf(hl7Work('BEFORE-KILL'));
    assert.equal(await queue.enqueue(acknowledged), 'queued');
    await redis.kill();
    const started = Date.now();
    await assert.rejects(queue.enqueue(entryOf(hl7Work('DURING'))));
    assert.ok(Date.now() - started < 1000, `rejected after ${Date.now() - started} ms`);
    await redis.start();
    const deadline = Date.now() + 20_000;
    let outcome: string | undefined;
    while (outcome === undefined) {
      outcome = await queue.enqueue(entryOf(hl7Work('AFTER'))).catch(async (error: unknown) => {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
        return undefined;
      });
    }
    assert.equal(outcome, 'queued');
    // SIGKILL loses nothing Redis had answered: the job is still there
    assert.equal(await queue.enqueue(acknowledged), 'duplicate');
    // and the refused one never got in
    assert.equal(await queue.enqueue(entryOf(hl7Work('DURING'))), 'queued');
  });

  test('Redis holds no PHI: no name, identifier, message text or message digest in any key, value or file', async () => {
    const work = hl7Work('PHI-1', 'Patient reports chest pain');
    const entry = entryOf(work);
    await queue.enqueue(entry);
    const client = new Redis(redis.url);
    const dump: Buffer[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await client.scanBuffer(cursor, 'COUNT', 1000);
      cursor = next.toString();
      for (const key of keys) {
        dump.push(key);
        const type = await client.type(key);
        if (type === 'string') dump.push((await client.getBuffer(key)) ?? Buffer.alloc(0));
        else if (type === 'hash')
          for (const [field, value] of Object.entries(await client.hgetallBuffer(key)))
            dump.push(Buffer.from(field), value);
        else if (type === 'list') dump.push(...(await client.lrangeBuffer(key, 0, -1)));
        else if (type === 'set') dump.push(...(await client.smembersBuffer(key)));
        else if (type === 'zset') dump.push(...(await client.zrangeBuffer(key, 0, -1)));
        else if (type === 'stream') dump.push(Buffer.from(JSON.stringify(await client.xrange(key, '-', '+'))));
        else assert.fail(`unscanned Redis type ${type}`);
      }
    } while (cursor !== '0');
    client.disconnect();
    const haystacks = [
      { place: 'Redis keys and values', bytes: Buffer.concat(dump) },
      ...(await readAll(await filesUnder(redis.dataDir))),
    ];
    const controls = findNeedles(haystacks, [{ label: 'the workflow id', bytes: utf8ToBytes(jobIdOf(entry.key)) }]);
    assert.ok(controls.includes('the workflow id in Redis keys and values'), controls.join('\n'));
    assert.ok(
      controls.some((place) => place.includes('appendonly')),
      `the append-only file is scanned: ${controls.join('\n')}`,
    );
    const record = work.workflow === 'anchorRecord' ? work.input.record : '';
    assert.deepEqual(
      findNeedles(haystacks, [
        { label: 'patient name', bytes: utf8ToBytes(PATIENT_NAME) },
        { label: 'patient identifier', bytes: utf8ToBytes(PATIENT_ID) },
        { label: 'message text', bytes: utf8ToBytes('chest pain') },
        { label: 'message digest', bytes: entry.digest },
        { label: 'digest of the record text', bytes: createHash('sha256').update(record).digest() },
        { label: 'codec key', bytes: keys.current },
      ]),
      [],
    );
  });
});
