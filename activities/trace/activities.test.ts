import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { hexToBytes, toHex, type Hex } from 'viem';
import { generateIdentity, generateTraceCode } from '../../core/crypto/index.js';
import { Role } from '../../core/roles.js';
import { MAX_BATCH_ITEMS, proveBatch } from '../../native/index.js';
import { pushProvenStep } from '../../test/harness/trace-push.js';
import type { Engine } from '../engine.js';
import { startActivityEngine } from '../../test/harness/activity-engine.js';
import { createTraceActivities, createTraceNativeActivities } from './index.js';

describe('pushTraceBatch on the dev chain', () => {
  let stack: Awaited<ReturnType<typeof startActivityEngine>>;
  let engine: Engine;
  let participant: Hex;

  before(async () => {
    stack = await startActivityEngine('trace-activities', { role: Role.Carrier, name: 'Carrier' });
    ({ engine, account: participant } = stack);
  });
  after(() => stack.stop());

  /** Runs one activity call inside a mock activity context (heartbeats, attempt number). */
  const run = <R>(call: () => Promise<R>): Promise<R> => new MockActivityEnvironment().run(call);

  async function sealAndProve(nonce: Hex) {
    const native = createTraceNativeActivities({ keyring: engine.keyring, store: engine.store });
    const codes = [generateTraceCode(), generateTraceCode()];
    const sealed = await run(() =>
      native.sealTraceSteps(
        participant,
        codes.map((code) => ({ code, data: '{"event":"produced"}' })),
      ),
    );
    const proof = toHex(
      await proveBatch(
        codes,
        sealed.ciphertextHashes.map((h) => hexToBytes(h)),
        hexToBytes(nonce),
      ),
    );
    return { sealed, proof, codes };
  }

  test('a push that already committed counts as done when its activity runs again', async () => {
    const io = createTraceActivities(engine);
    const nonce = await run(() => io.recentBlockHash());
    const { sealed, proof } = await sealAndProve(nonce);
    const first = await run(() => io.pushTraceBatch(participant, sealed, { nonce, proof }));
    assert.match(first.transactionHash ?? '', /^0x[0-9a-f]{64}$/);
    const again = await run(() => io.pushTraceBatch(participant, sealed, { nonce, proof }));
    assert.equal(again.transactionHash, null, 'nothing sent the second time');
  });

  test('queryTrace: 64 random bytes pushed by a registered holder of the code are an invalid step; the history stays', async () => {
    const io = createTraceActivities(engine);
    const nonce = await run(() => io.recentBlockHash());
    const { sealed, proof, codes } = await sealAndProve(nonce);
    await run(() => io.pushTraceBatch(participant, sealed, { nonce, proof }));
    const code = codes[0] as string;
    const junk = randomBytes(64);
    await pushProvenStep(
      engine.chain,
      engine.contracts.drugTrace,
      (await engine.keyring.identity(participant)).secretKey,
      code,
      junk,
    );
    const history = await run(() => io.queryTrace(code));
    assert.deepEqual(
      history.steps.map((step) => [step.index, step.data, step.signer]),
      [[0, '{"event":"produced"}', participant]],
    );
    assert.deepEqual(
      history.invalid.map((step) => [step.index, step.reason, step.sender]),
      [[1, 'DECRYPT', participant]],
    );
  });

  test('a batch too large for one proof is refused before any work, naming the limit', async () => {
    const native = createTraceNativeActivities({ keyring: engine.keyring, store: engine.store });
    const items = Array.from({ length: MAX_BATCH_ITEMS + 1 }, () => ({ code: generateTraceCode(), data: '{}' }));
    await assert.rejects(
      run(() => native.sealTraceSteps(participant, items)),
      (error: unknown) =>
        error instanceof ApplicationFailure &&
        error.type === 'BatchTooLarge' &&
        error.message.includes(`at most ${MAX_BATCH_ITEMS} items, got ${MAX_BATCH_ITEMS + 1}`),
    );
  });

  test('a nonce older than 256 blocks fails as TraceNonceExpired, so the workflow proves again', async () => {
    const io = createTraceActivities(engine);
    const nonce = await run(() => io.recentBlockHash());
    const { sealed, proof } = await sealAndProve(nonce);
    // age the nonce: every transaction seals a block
    const sender = generateIdentity();
    for (let i = 0; i < 260; i++)
      await engine.chain.send({ to: toHex(sender.address).slice(2), input: new Uint8Array() }, sender.secretKey);
    await assert.rejects(
      run(() => io.pushTraceBatch(participant, sealed, { nonce, proof })),
      (error: unknown) => {
        assert.ok(error instanceof ApplicationFailure);
        assert.equal(error.type, 'TraceNonceExpired');
        assert.equal(error.nonRetryable, true);
        return true;
      },
    );
  });
});
