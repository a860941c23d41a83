import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { hexToBytes, toHex, type Hex } from 'viem';
import { recordIdOf } from '../../core/records/record-format.js';
import { initPre, preDelegatorPublicKey, preKeygenDelegator } from '../../core/crypto/index.js';
import { readContract } from '../../core/ledger/contract-calls.js';
import { RecordRegistry } from '../../contracts/artifacts.js';
import { Role } from '../../core/roles.js';
import type { Engine } from '../engine.js';
import { startActivityEngine } from '../../test/harness/activity-engine.js';
import {
  createRecordActivities,
  createRecordNativeActivities,
  MAX_RECORD_BATCH,
  POISON_RECORDS,
  type SealedRecord,
} from './index.js';

describe('createRecordsOnChain on the dev chain', () => {
  let stack: Awaited<ReturnType<typeof startActivityEngine>>;
  let engine: Engine;
  let author: Hex;

  before(async () => {
    await initPre();
    stack = await startActivityEngine('record-activities', { role: Role.Hospital, name: 'Hospital' });
    ({ engine, account: author } = stack);
  });
  after(() => stack.stop());

  /** Runs one activity call inside a mock activity context (attempt number). */
  const run = <R>(call: () => Promise<R>): Promise<R> => new MockActivityEnvironment().run(call);

  const native = () => createRecordNativeActivities({ store: engine.store, keyring: engine.keyring });
  const sealInput = (i: number) => ({
    record: `MSH|^~\\&|batch test ${i}`,
    author,
    patient: toHex(randomBytes(20)),
    prekey: { index: i, publicKey: toHex(preDelegatorPublicKey(preKeygenDelegator().secretKey)) },
  });
  /** `count` records sealed in one `sealRecords`, each for a fresh patient prekey. */
  const sealed = (count: number): Promise<SealedRecord[]> =>
    run(() => native().sealRecords(Array.from({ length: count }, (_, i) => sealInput(i))));
  const stored = (recordId: Hex) =>
    readContract(engine.chain, {
      address: engine.contracts.recordRegistry,
      abi: RecordRegistry.abi,
      functionName: 'get',
      args: [recordId],
    });
  const failsWith = (type: string) => (error: unknown) => {
    assert.ok(error instanceof ApplicationFailure, String(error));
    assert.equal(error.type, type, error.message);
    assert.equal(error.nonRetryable, true);
    return true;
  };

  test('one transaction creates the batch; run again (a retry after the commit) it writes nothing twice', async () => {
    const io = createRecordActivities(engine);
    const records = await sealed(3);
    const first = await run(() => io.createRecordsOnChain(author, records));
    assert.deepEqual(
      first.map((r) => r.recordId),
      records.map((r) => r.recordId),
    );
    const [hash] = new Set(first.map((r) => r.transactionHash));
    assert.match(hash ?? '', /^0x[0-9a-f]{64}$/, 'one transaction for the batch');
    assert.deepEqual(
      first.map((r) => [r.transactionHash, r.written]),
      records.map(() => [hash, true]),
    );
    for (const record of records) assert.equal((await stored(record.recordId))[0], record.wrappedKey);

    // the retry also carries records the first attempt never sent: those are written, the others
    // skipped and named with the transaction that wrote them
    const more = await sealed(2);
    const retried = await run(() => io.createRecordsOnChain(author, [...records, ...more]));
    const retryHash = retried.at(-1)?.transactionHash;
    assert.notEqual(retryHash, hash);
    assert.deepEqual(
      retried.map((r) => [r.transactionHash, r.written]),
      [
        [hash, false],
        [hash, false],
        [hash, false],
        [retryHash, true],
        [retryHash, true],
      ],
    );
    for (const record of more) assert.equal((await stored(record.recordId))[0], record.wrappedKey);
  });

  test('sealRecords seals each record of a batch apart, bound to its author, and refuses an empty or oversize batch', async () => {
    const records = await sealed(3);
    assert.equal(new Set(records.map((r) => r.cid)).size, 3, 'a fresh DEK, so a CID of its own, per record');
    for (const record of records)
      assert.equal(record.recordId, toHex(recordIdOf(hexToBytes(author), record.cid)), 'the id its author creates');
    await assert.rejects(
      run(() => native().sealRecords([])),
      failsWith('BadRecordBatch'),
    );
    await assert.rejects(
      run(() => native().sealRecords(Array.from({ length: MAX_RECORD_BATCH + 1 }, (_, i) => sealInput(i)))),
      failsWith('BadRecordBatch'),
    );
    // records that cannot be read are named, each with why, before any is sealed: the batch goes on without them
    const unreadable = { ...sealInput(1), encoding: 'base64' as const, record: 'not base64!' };
    await assert.rejects(
      run(() => native().sealRecords([sealInput(0), unreadable, sealInput(2), unreadable])),
      (error: unknown) => {
        failsWith(POISON_RECORDS)(error);
        const reason = 'BadRecordEncoding: the record is marked base64 but is not base64 text';
        assert.deepEqual((error as ApplicationFailure).details, [[1, 3].map((index) => ({ index, reason }))]);
        return true;
      },
    );
  });

  test('an id on chain under another wrapped key is a conflict; bad batches are refused before any transaction', async () => {
    const io = createRecordActivities(engine);
    const [record, other] = await sealed(2);
    assert.ok(record && other);
    await run(() => io.createRecordsOnChain(author, [record]));
    await assert.rejects(
      run(() => io.createRecordsOnChain(author, [{ ...record, wrappedKey: other.wrappedKey }])),
      failsWith('RecordConflict'),
    );
    await assert.rejects(
      run(() => io.createRecordsOnChain(author, [])),
      failsWith('BadRecordBatch'),
    );
    await assert.rejects(
      run(() =>
        io.createRecordsOnChain(
          author,
          Array.from({ length: MAX_RECORD_BATCH + 1 }, () => other),
        ),
      ),
      failsWith('BadRecordBatch'),
    );
    await assert.rejects(
      run(() => io.createRecordsOnChain(author, [other, { ...other, recordId: record.recordId }])),
      failsWith('RecordIdMismatch'),
    );
    await assert.rejects(stored(other.recordId), /no such record/, 'nothing of a refused batch was sent');
  });
});
