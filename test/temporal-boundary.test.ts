import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { generateIdentity, sign } from '../core/crypto/index.js';
import { lookupIdentity } from '../core/ledger/directory.js';
import { authorize, type OperatorSigner } from '../core/operators/authorization.js';
import { enrolmentCodeId, generateEnrolmentCode, signRedemption } from '../core/enrolment/offer.js';
import { Role } from '../core/roles.js';
import { walletDir } from '../wallet/node/wallet-dir.js';
import { Wallet } from '../wallet/wallet.js';
import { SCRATCH_PASSWORD, SCRATCH_SCRYPT, startScratchEngine, type ScratchEngine } from '../ops/scratch/engine.js';
import { anchorBatchWorkflowId, sourceWorkflowId } from '../workflows/ids.js';
import { sendToAnchorBatch } from '../workflows/starter.js';

/**
 * The engine's side of Temporal (docs/security.md § Temporal): whoever reaches the frontend without
 * the codec key can start and signal workflows, but nothing they send reaches a workflow, and the
 * engine takes back an id they took. What uses the CA's authority or changes who a patient is also
 * needs an operator's signature on that very request.
 */
describe('what reaches the engine through Temporal', () => {
  let stack: ScratchEngine;
  /** Someone who reaches Temporal but holds no codec key. */
  let outsider: Client;
  let bob: string;
  let alice: Wallet;
  const hl7 = (controlId: string, mrn: string) =>
    `MSH|^~\\&|HIS|BOUNDARY|||20260101||ORU^R01|${controlId}|P|2.5\rPID|1||${mrn}^^^BOUNDARY-MRN\rOBX|1|ST|note||result`;
  const historyOf = async (workflowId: string, runId?: string) =>
    (await stack.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];

  before(async () => {
    stack = await startScratchEngine();
    await stack.startWorkers();
    outsider = new Client({ connection: stack.temporal.connection, namespace: stack.temporal.namespace ?? 'default' });
    const { execute } = stack.workflows;
    bob = (
      await execute.registerIdentity(
        authorize(stack.operator, 'registerIdentity', { name: 'Dr. Bob', role: Role.Doctor }),
      )
    ).address;
    alice = await Wallet.create(walletDir(join(stack.home, 'alice')), SCRATCH_PASSWORD, SCRATCH_SCRYPT);
    await execute.registerIdentity(
      authorize(stack.operator, 'registerIdentity', {
        name: 'Alice',
        role: Role.Patient,
        identity: alice.identity,
        prekeyBundle: await alice.addPrekeys(4),
      }),
    );
  });
  after(async () => stack.stop());

  test('a workflow started in the clear never runs an activity', async () => {
    const handle = await outsider.workflow.start('registerIdentity', {
      workflowId: 'identity:local:Second CA',
      taskQueue: stack.taskQueue,
      args: [{ name: 'Second CA', role: Role.CA, authorization: { operator: bob, issuedAt: 0, signature: '0x00' } }],
    });
    await sleep(3000);
    const events = await historyOf(handle.workflowId);
    assert.ok(
      events.some((event) => event.workflowTaskCompletedEventAttributes),
      'the worker took the workflow task',
    );
    assert.ok(!events.some((event) => event.activityTaskScheduledEventAttributes), 'no activity was scheduled');
    assert.equal((await handle.describe()).status.name, 'RUNNING');
  });

  test('a message id taken in the clear is taken back by the engine, and the real message is anchored', async () => {
    const source = { kind: 'hl7', sendingFacility: 'BOUNDARY', controlId: 'CAPTURE-1' } as const;
    const patient = { authority: 'BOUNDARY-MRN', identifier: '1001' };
    await stack.workflows.execute.enrolPatient(
      authorize(stack.operator, 'enrolPatient', { patient, account: alice.identity.address }),
    );
    const squatted = await outsider.workflow.start('anchorRecord', {
      workflowId: 'hl7:BOUNDARY:CAPTURE-1',
      taskQueue: stack.taskQueue,
      args: [{ source, record: 'junk', patient, author: bob }],
    });
    const real = { source, record: hl7('CAPTURE-1', '1001'), patient, author: bob };
    const handle = await stack.workflows.start.anchorRecord(real);
    assert.equal(handle.workflowId, squatted.workflowId);
    const runId = (await handle.describe()).runId;
    assert.notEqual(runId, squatted.firstExecutionRunId, 'a run of its own, not the squatter’s');
    const reference = await handle.result();
    assert.match(reference.recordId, /^0x[0-9a-f]{64}$/);
    assert.equal(
      (await stack.client.workflow.getHandle(squatted.workflowId, squatted.firstExecutionRunId).describe()).status.name,
      'TERMINATED',
    );
    // the engine's own runs are joined, never replaced
    const again = await stack.workflows.start.anchorRecord(real);
    assert.equal((await again.describe()).runId, runId);
  });

  test('a batch id taken in the clear is taken back too, and the messages sent to it are anchored', async () => {
    const patient = { authority: 'BOUNDARY-BATCH', identifier: '2001' };
    await stack.workflows.execute.enrolPatient(
      authorize(stack.operator, 'enrolPatient', { patient, account: alice.identity.address }),
    );
    const workflowId = anchorBatchWorkflowId(bob, 7);
    const squatted = await outsider.workflow.start('anchorBatch', {
      workflowId,
      taskQueue: stack.taskQueue,
      args: [{ author: bob }],
    });
    const source = { kind: 'hl7', sendingFacility: 'BOUNDARY', controlId: 'BATCH-1' } as const;
    await sendToAnchorBatch(stack.client, stack.taskQueue, {
      author: bob,
      shard: 7,
      messages: [{ source, record: hl7('BATCH-1', '2001'), patient }],
    });
    for (let i = 0; !(await stack.engine.state.anchoredMessage(sourceWorkflowId(source)))?.record; i++) {
      assert.ok(i < 300, 'the message is anchored within a minute');
      await sleep(200);
    }
    assert.equal(
      (await stack.client.workflow.getHandle(workflowId, squatted.firstExecutionRunId).describe()).status.name,
      'TERMINATED',
    );
  });

  test('a signal sent in the clear is dropped and the workflow goes on', async () => {
    // another assigning authority: one enrolment per account and authority (its workflow id)
    const patient = { authority: 'BOUNDARY-LAB', identifier: '1002' };
    const waiting = await stack.workflows.start.anchorRecord({
      source: { kind: 'hl7', sendingFacility: 'BOUNDARY', controlId: 'SIGNAL-1' },
      record: hl7('SIGNAL-1', '1002'),
      patient,
      author: bob,
    });
    for (let i = 0; (await waiting.query<string>('status')) !== 'waiting for the patient to enrol'; i++) {
      assert.ok(i < 100, 'the record waits for its patient');
      await sleep(100);
    }
    await outsider.workflow.getHandle(waiting.workflowId).signal('patientEnrolled', '0x' + '66'.repeat(20));
    await sleep(1500);
    assert.ok((await historyOf(waiting.workflowId)).some((event) => event.workflowExecutionSignaledEventAttributes));
    assert.equal(
      await waiting.query<string>('status'),
      'waiting for the patient to enrol',
      'still waiting, not wedged',
    );
    await assert.rejects(outsider.workflow.getHandle(waiting.workflowId).query('status', 'in the clear'), /not sealed/);
    await stack.workflows.execute.enrolPatient(
      authorize(stack.operator, 'enrolPatient', { patient, account: alice.identity.address }),
    );
    const reference = await waiting.result();
    assert.equal(reference.patient, alice.identity.address);
  });

  test('registering and enrolment need the signature of one of the engine’s operators on that very request', async () => {
    const stranger = generateIdentity();
    const strangerSigner: OperatorSigner = {
      address: `0x${Buffer.from(stranger.address).toString('hex')}`,
      sign: (message) => sign(stranger.secretKey, message),
    };
    const refusal = async (run: Promise<unknown>, why: RegExp) =>
      assert.rejects(run, (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError, String(error));
        let cause: unknown = error.cause;
        while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
        assert.ok(cause instanceof ApplicationFailure, String(error.cause));
        assert.equal(cause.type, 'OperatorNotAuthorized');
        assert.match(cause.message, why);
        return true;
      });
    const { execute } = stack.workflows;
    await refusal(
      execute.registerIdentity(
        authorize(strangerSigner, 'registerIdentity', { name: 'Eve Clinic', role: Role.Hospital }),
      ),
      /is not one of this engine's ca operators/,
    );
    // an operator's signature on another request does not carry over
    const signed = authorize(stack.operator, 'registerIdentity', { name: 'Eve Clinic', role: Role.Hospital });
    await refusal(execute.registerIdentity({ ...signed, name: 'Eve Pharmacy', role: Role.Pharmacy }), /not signed by/);
    const mallory = generateIdentity();
    const malloryPublic = {
      address: `0x${Buffer.from(mallory.address).toString('hex')}`,
      publicKey: `0x${Buffer.from(mallory.publicKey).toString('hex')}`,
    } as const;
    await refusal(
      execute.registerIdentity(
        authorize(strangerSigner, 'registerIdentity', { name: 'Mallory', role: Role.Patient, identity: malloryPublic }),
      ),
      /is not one of this engine's ca operators/,
    );
    assert.equal(await lookupIdentity(stack.chain, stack.engine.contracts.directory, malloryPublic.address), undefined);
    await refusal(
      execute.enrolPatient(
        authorize(strangerSigner, 'enrolPatient', {
          patient: { authority: 'BOUNDARY-X', identifier: '1003' },
          account: alice.identity.address,
        }),
      ),
      /is not one of this engine's hospital operators/,
    );
    await refusal(
      execute.revokeIdentity(authorize(strangerSigner, 'revokeIdentity', { account: bob as `0x${string}` })),
      /is not one of this engine's ca operators/,
    );
    assert.equal((await lookupIdentity(stack.chain, stack.engine.contracts.directory, bob))?.revokedAt, null);
  });

  test('an enrolment by code needs a hospital operator’s offer of that identifier and code, redeemed by that account before it expired', async () => {
    const code = generateEnrolmentCode();
    // each case under an authority of its own: the enrolment workflow's id is the account and the authority
    const patientOf = (n: number) => ({ authority: `BOUNDARY-CODE-${n}`, identifier: '2001' });
    const offerBy = (n: number, signer: OperatorSigner, expiresAt = Date.now() + 60_000) =>
      authorize(signer, 'enrolmentOffer', { patient: patientOf(n), codeId: enrolmentCodeId(code), expiresAt });
    const redeemedBy = (wallet: Wallet) =>
      signRedemption(
        {
          codeId: enrolmentCodeId(code),
          account: wallet.identity.address,
          audience: 'http://engine',
          issuedAt: Date.now(),
        },
        (message) => wallet.sign(message),
      );
    const stranger = generateIdentity();
    const strangerSigner: OperatorSigner = {
      address: `0x${Buffer.from(stranger.address).toString('hex')}`,
      sign: (message) => sign(stranger.secretKey, message),
    };
    const mallory = await Wallet.create(walletDir(join(stack.home, 'mallory')), SCRATCH_PASSWORD, SCRATCH_SCRYPT);
    const refused = (input: Parameters<typeof stack.workflows.execute.enrolPatient>[0], why: RegExp) =>
      assert.rejects(stack.workflows.execute.enrolPatient(input), (error: unknown) => {
        assert.ok(error instanceof WorkflowFailedError, String(error));
        let cause: unknown = error.cause;
        while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
        assert.ok(cause instanceof ApplicationFailure && cause.type === 'OperatorNotAuthorized', String(cause));
        assert.match(cause.message, why);
        return true;
      });
    const account = alice.identity.address;
    await refused(
      { patient: patientOf(1), account, offer: offerBy(1, strangerSigner), redemption: redeemedBy(alice) },
      /is not one of this engine's hospital operators/,
    );
    await refused(
      { patient: patientOf(2), account, offer: offerBy(3, stack.operator), redemption: redeemedBy(alice) },
      /offer is of another patient identifier/,
    );
    await refused(
      { patient: patientOf(4), account, offer: offerBy(4, stack.operator), redemption: redeemedBy(mallory) },
      /redemption is for another account/,
    );
    await refused(
      {
        patient: patientOf(5),
        account,
        offer: offerBy(5, stack.operator),
        redemption: { ...redeemedBy(mallory), account },
      },
      /not signed by/,
    );
    await refused(
      {
        patient: patientOf(6),
        account,
        offer: offerBy(6, stack.operator, Date.now() - 1),
        redemption: redeemedBy(alice),
      },
      /had expired/,
    );
    const { woken } = await stack.workflows.execute.enrolPatient({
      patient: patientOf(7),
      account,
      offer: offerBy(7, stack.operator),
      redemption: redeemedBy(alice),
    });
    assert.equal(woken, 0);
  });

  test('an operator revokes an identity, once', async () => {
    const carrier = await stack.workflows.execute.registerIdentity(
      authorize(stack.operator, 'registerIdentity', { name: 'Revoked Carrier', role: Role.Carrier }),
    );
    const revoked = await stack.workflows.execute.revokeIdentity(
      authorize(stack.operator, 'revokeIdentity', { account: carrier.address }),
    );
    const entry = await lookupIdentity(stack.chain, stack.engine.contracts.directory, carrier.address);
    assert.equal(entry?.revoked, true);
    assert.equal(entry.revokedAt, revoked.revokedAt);
    assert.match(revoked.transactionHash ?? '', /^0x[0-9a-f]{64}$/);
  });
});
