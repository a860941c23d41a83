import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordRegistry, DrugTrace } from '../contracts/artifacts.js';
import { readContract } from '../core/ledger/contract-calls.js';
import type { StoryOutcome } from '../ops/demo/story.js';
import { runStoryOn, storyHl7 } from './harness/story.js';
import { grantThroughUnseenPrekey, UNSEEN_PREKEY_RECORD } from './harness/unseen-prekey-grant.js';
import { startScratchEngine, type ScratchEngine } from '../ops/scratch/engine.js';

const hl7 = await storyHl7();

describe('the record and drug-trace flows end to end on the real stack', () => {
  let stack: ScratchEngine;
  let outcome: StoryOutcome;

  before(async () => {
    stack = await startScratchEngine();
    await stack.startWorkers();
    outcome = await runStoryOn(stack, { batchSize: 100, say: () => {} });
  });
  after(async () => {
    await stack.stop();
  });

  test('the patient and the grantee read the very message the hospital sent, signed by its author', () => {
    assert.equal(outcome.record.record, hl7);
    assert.equal(outcome.readByCarol.record, hl7);
    assert.match(outcome.record.author.name, /^Dr\. Bob/);
    assert.match(outcome.readByCarol.author.name, /^Dr\. Bob/);
    assert.match(
      outcome.record.organisation?.name ?? '',
      /^Good Health Hospital/,
      "Dr. Bob's record is the hospital's, by the Directory",
    );
  });

  test('exactly one record is on chain under the id, holding a first-level PRE ciphertext', async () => {
    const [wrapped] = await readContract(stack.chain, {
      address: stack.engine.contracts.recordRegistry,
      abi: RecordRegistry.abi,
      functionName: 'get',
      args: [outcome.record.recordId],
    });
    assert.equal((wrapped.length - 2) / 2, 110);
    assert.equal(wrapped.slice(0, 4), '0x01');
  });

  test('every box of the batch has the three steps, in order', async () => {
    assert.equal(outcome.traceIds.length, 100);
    for (const id of [outcome.traceIds[0], outcome.traceIds[57], outcome.traceIds[99]]) {
      const steps = await readContract(stack.chain, {
        address: stack.engine.contracts.drugTrace,
        abi: DrugTrace.abi,
        functionName: 'read',
        args: [id as `0x${string}`],
      });
      assert.equal(steps.length, 3);
    }
    assert.deepEqual(
      outcome.history.map((s) => (JSON.parse(s.data) as { event: string }).event),
      ['produced', 'shipped', 'received'],
    );
    assert.deepEqual(
      outcome.history.map((s) => s.signerName.replace(/ \(.*\)$/, '')),
      ['Manufacturer', 'Carrier', 'Pharmacy'],
    );
  });

  test('the third party was refused at every door', () => {
    assert.deepEqual(
      outcome.refusals.map((refusal) => refusal.door),
      ['inbox', 'reencrypted key', 'forged grant'],
    );
    const forged = outcome.refusals.find((refusal) => refusal.door === 'forged grant');
    assert.match(
      forged?.detail ?? '',
      /not made from this record/,
      'the forged grant failed on the re-encryption key check',
    );
  });

  test('inbox requests must be signed by the inbox owner, once, for this engine', async () => {
    const { alice, carol } = outcome.people;
    const address = alice.identity.address;
    const target = `/inbox/${address}?after=0`;
    const get = (authorization?: string) =>
      fetch(`${stack.apiUrl}${target}`, authorization ? { headers: { authorization } } : {});
    const { engineAudience, signInboxRequest } = await import('../core/inbox/request-signature.js');
    const signed = (wallet: typeof alice, audience = engineAudience(stack.apiUrl)) =>
      signInboxRequest({ audience, method: 'GET', target, address: wallet.identity.address }, (message) =>
        wallet.sign(message),
      );
    assert.equal((await get()).status, 401);
    assert.equal((await get(signed(carol))).status, 403, "a valid signature of another account's");
    const byAlice = signed(alice);
    assert.equal((await get(byAlice)).status, 200);
    const replayed = await get(byAlice);
    assert.equal(replayed.status, 401, 'a captured header is good for one request');
    assert.match(((await replayed.json()) as { error: string }).error, /already used/);
    const elsewhere = await get(signed(alice, 'http://engine.other.example'));
    assert.equal(elsewhere.status, 401, "a signature for another engine's URL");
  });

  test("a grant through an engine that never saw the record's prekey works on the patient's signed prekey", async () => {
    const grant = await grantThroughUnseenPrekey(stack, outcome);
    assert.match(grant.withoutPrekey, /prekey \d+ of 0x[0-9a-f]{40} was never published to this engine/);
    assert.equal(grant.readByCarol.record, UNSEEN_PREKEY_RECORD);
    assert.match(grant.readByCarol.author.name, /^Dr\. Bob/);
  });
});
