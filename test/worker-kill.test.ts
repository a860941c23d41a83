import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { keccak256, toFunctionSelector } from 'viem';
import { generateTraceCode } from '../core/crypto/index.js';
import { DrugTrace, RecordRegistry } from '../contracts/artifacts.js';
import { createRequire } from 'node:module';
import type * as protoModule from '@temporalio/proto';
import { readContract } from '../core/ledger/contract-calls.js';
import { Role } from '../core/roles.js';
import { authorize } from '../core/operators/authorization.js';
import type { RegistrationRequest } from '../activities/identities/index.js';
import { walletDir } from '../wallet/node/wallet-dir.js';
import { Wallet } from '../wallet/wallet.js';
import type { anchorRecord, traceStep } from '../workflows/index.js';
import { startScratchEngine, SCRATCH_PASSWORD, SCRATCH_SCRYPT, type ScratchEngine } from '../ops/scratch/engine.js';
import { startWorkerProcess, workerEnv } from '../ops/scratch/worker-process.js';
import { enrolBenchPatients, syntheticOru } from '../ops/bench/bench-patients.js';
import { hl7Envelope } from '../connectors/hl7/message-source.js';
import type { BatchMessage } from '../workflows/anchor-batch.js';
import { anchorBatchWorkflowId, sourceWorkflowId } from '../workflows/ids.js';
import { sendToAnchorBatch } from '../workflows/starter.js';
import { FAILED, HELD, holdActivity, holdSetting, type HeldActivity } from './harness/hold-activity.js';
import { runYilian } from './harness/cli-process.js';
import { recordsCreatedSince } from './harness/records-created.js';
import { startChainProxy } from './harness/chain-proxy.js';

/**
 * Kills the worker process (SIGKILL, no drain) while each workflow is inside its chain write, or
 * once a batch's sealing or chain write is done but not yet reported, starts a new one, and checks
 * that exactly one record / one trace step exists afterwards; then kills the chain node under a
 * batch's transaction (docs/design.md § Anchoring in batches, "Exactly once under each kill test").
 */
// @temporalio/proto is CommonJS whose exports Node cannot name for an ES import
const { temporal } = createRequire(import.meta.url)('@temporalio/proto') as typeof protoModule;
const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

describe('a worker killed in the middle of a workflow', () => {
  let stack: ScratchEngine;
  let env: NodeJS.ProcessEnv;
  let bob: string;
  let carrier: string;
  let alice: Wallet;
  let patients: string[];
  const patient = { authority: 'KILL-TEST-MRN', identifier: '4711' };

  before(async () => {
    stack = await startScratchEngine();
    await stack.startWorkers();
    const { execute } = stack.workflows;
    const register = (request: RegistrationRequest) =>
      execute.registerIdentity(authorize(stack.operator, 'registerIdentity', request));
    bob = (await register({ name: 'Dr. Bob', role: Role.Doctor })).address;
    carrier = (await register({ name: 'Carrier', role: Role.Carrier })).address;
    alice = await Wallet.create(walletDir(join(stack.home, 'alice')), SCRATCH_PASSWORD, SCRATCH_SCRYPT);
    const prekeyBundle = await alice.addPrekeys(4);
    await register({ name: 'Alice', role: Role.Patient, identity: alice.identity, prekeyBundle });
    await execute.enrolPatient(authorize(stack.operator, 'enrolPatient', { patient, account: alice.identity.address }));
    // a prekey for each batch message of the tests below: 7 batches of 6, half to each patient
    patients = await enrolBenchPatients(stack, 2, 21, 'kill');
    await stack.stopWorkers();
    env = workerEnv(stack);
  });
  after(async () => stack.stop());

  async function killDuring(workflowId: string, activityType: string): Promise<void> {
    const worker = await startWorkerProcess(env);
    const handle = stack.client.workflow.getHandle(workflowId);
    for (let i = 0; ; i++) {
      const { raw } = await handle.describe();
      // a worker is running it right now
      if ((raw.pendingActivities ?? []).some((a) => a.activityType?.name === activityType && a.state === STARTED))
        break;
      if (i > 3000) assert.fail(`${activityType} never started`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await worker.kill();
  }

  /** Transactions to `contract` calling `functionName`, over the whole chain. */
  async function countCalls(contract: string, signature: string): Promise<number> {
    const selector = toFunctionSelector(signature).slice(2);
    let count = 0;
    const top = await stack.chain.getBlockNumber();
    for (let n = 0; n <= top; n++) {
      const block = await stack.chain.rpc<{ transactions: string[] }>('getBlockByNumber', [
        'group0',
        '',
        n,
        false,
        false,
      ]);
      for (const hash of block.transactions) {
        const tx = await stack.chain.rpc<{ to: string; input: string }>('getTransaction', ['group0', '', hash, false]);
        if (
          tx.to.toLowerCase().replace(/^0x/, '') === contract.toLowerCase().replace(/^0x/, '') &&
          tx.input.replace(/^0x/, '').startsWith(selector)
        )
          count++;
      }
    }
    return count;
  }

  test('anchorRecord: exactly one record on chain and one inbox item', async () => {
    const { workflowId } = await stack.workflows.start.anchorRecord({
      source: { kind: 'hl7', sendingFacility: 'KILL', controlId: 'MSG-1' },
      record: 'MSH|^~\\&|KILL|KILL|||20260101||ORU^R01|MSG-1|P|2.5\rPID|1||4711^^^KILL-TEST-MRN',
      patient,
      author: bob,
    });
    await killDuring(workflowId, 'createRecordOnChain');
    const worker = await startWorkerProcess(env);
    try {
      const reference = await stack.client.workflow.getHandle<typeof anchorRecord>(workflowId).result();
      const [stored] = await readContract(stack.chain, {
        address: stack.engine.contracts.recordRegistry,
        abi: RecordRegistry.abi,
        functionName: 'get',
        args: [reference.recordId as `0x${string}`],
      });
      assert.equal(keccak256(stored).length, 66);
      assert.equal(
        await countCalls(stack.engine.contracts.recordRegistry, 'create(bytes32,bytes)'),
        1,
        'one create transaction in the whole chain',
      );
      const inbox = await stack.engine.state.inbox(alice.identity.address);
      assert.equal(inbox.filter((item) => item.deliveryId === workflowId).length, 1);
      assert.equal(await stack.engine.state.unclaimedPrekeys(alice.identity.address), 3, 'one prekey used');
    } finally {
      await worker.kill();
    }
  });

  test('traceStep: exactly one step per item', async () => {
    const codes = Array.from({ length: 8 }, () => generateTraceCode());
    const { workflowId } = await stack.workflows.start.traceStep({
      source: { kind: 'erp', org: 'Carrier', eventId: 'kill-ship-1' },
      participant: carrier as `0x${string}`,
      items: codes.map((code, i) => ({ code, data: JSON.stringify({ event: 'shipped', item: i }) })),
    });
    await killDuring(workflowId, 'pushTraceBatch');
    const worker = await startWorkerProcess(env);
    try {
      const result = await stack.client.workflow.getHandle<typeof traceStep>(workflowId).result();
      for (const id of result.ids) {
        const steps = await readContract(stack.chain, {
          address: stack.engine.contracts.drugTrace,
          abi: DrugTrace.abi,
          functionName: 'read',
          args: [id as `0x${string}`],
        });
        assert.equal(steps.length, 1, `item ${id} has one step`);
      }
      assert.equal(
        await countCalls(stack.engine.contracts.drugTrace, 'pushBatch(bytes32[],bytes[],bytes32,bytes)'),
        1,
        'one push transaction',
      );
    } finally {
      await worker.kill();
    }
  });

  /** `count` messages for the batch tests, alternating between the two patients. */
  const batchMessages = (name: string, count: number): BatchMessage[] =>
    Array.from({ length: count }, (_, n) => {
      const hl7 = syntheticOru(`${name}-${n}`, patients[n % 2] ?? '', n);
      const { source, patient: identifier } = hl7Envelope(hl7);
      return { source, record: hl7, patient: identifier };
    });
  let shards = 0;
  /** Signals the messages to an anchorBatch execution of their own. */
  async function sendBatch(messages: BatchMessage[]): Promise<string> {
    const shard = shards++;
    await sendToAnchorBatch(stack.client, stack.taskQueue, { author: bob, shard, messages });
    return anchorBatchWorkflowId(bob, shard);
  }

  /** Starts a worker process that holds these activities' first results, and SIGKILLs it once it holds them all. */
  async function killHolding(held: HeldActivity[]): Promise<void> {
    const worker = await startWorkerProcess({ ...env, KILL_TEST_HOLD: holdSetting(held) }, { preload: [holdActivity] });
    for (let i = 0; !held.every((activity) => worker.output().includes(HELD(activity))); i++) {
      if (i > 1200) assert.fail(`not every activity finished its first attempt:\n${worker.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await worker.kill();
  }

  /** The attempt that completed each run of `activityType` in the execution's history. */
  async function attempts(workflowId: string, activityType: string): Promise<number[]> {
    const events = (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const scheduled = new Set(
      events
        .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
        .map((e) => Number(e.eventId)),
    );
    return events.flatMap((e) => {
      const started = e.activityTaskStartedEventAttributes;
      return started && scheduled.has(Number(started.scheduledEventId)) ? [started.attempt ?? 0] : [];
    });
  }

  /**
   * Waits until every message of the batches is anchored, then checks exactly once: one
   * RecordCreated log on the chain per message since block `from` and no other, each message's row
   * naming that record and the transaction that logged it, one inbox item per message.
   */
  async function assertOncePerMessage(
    batches: ReadonlyArray<{ workflowId: string; messages: BatchMessage[] }>,
    from: number,
  ): Promise<void> {
    const rows = [];
    const deadline = Date.now() + 90_000;
    for (const { workflowId, messages } of batches) {
      const keys = messages.map((m) => sourceWorkflowId(m.source));
      for (;;) {
        const batchRows = await Promise.all(keys.map((key) => stack.engine.state.anchoredMessage(key)));
        if (batchRows.every((row) => row?.record)) {
          rows.push(...batchRows);
          break;
        }
        const { status } = await stack.client.workflow.getHandle(workflowId).describe();
        if (status.name !== 'RUNNING' || Date.now() > deadline)
          assert.fail(
            `${workflowId} is ${status.name} and not every message was anchored: ${JSON.stringify(batchRows)}`,
          );
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const created = await recordsCreatedSince(stack, from);
    const expected = rows.map((row) => ({
      recordId: row?.record?.recordId.toLowerCase() ?? '',
      transactionHash: row?.record?.transactionHash ?? '',
    }));
    const byId = (a: { recordId: string }, b: { recordId: string }) => a.recordId.localeCompare(b.recordId);
    assert.deepEqual(
      created.sort(byId),
      expected.sort(byId),
      'one RecordCreated per message, logged by the transaction its row names, and no other record',
    );
    const accounts = await Promise.all(
      patients.map(async (identifier) => {
        const { patient: ref } = hl7Envelope(syntheticOru('probe', identifier, 0));
        const account = await stack.engine.state.findPatient(
          stack.engine.state.patientRef(ref.authority, ref.identifier),
        );
        return account ?? assert.fail(`patient ${identifier} is not enrolled`);
      }),
    );
    const delivered = (await Promise.all(accounts.map((a) => stack.engine.state.inbox(a)))).flat();
    for (const key of batches.flatMap(({ messages }) => messages.map((m) => sourceWorkflowId(m.source))))
      assert.equal(delivered.filter((item) => item.deliveryId === key).length, 1, `one inbox item for ${key}`);
  }

  test('anchorBatch, the worker killed once a step of a batch is done but not reported: one record per message', async () => {
    const from = (await stack.chain.getBlockNumber()) + 1;
    // a batch for each step, all held at once by one worker, so that the kill and its timeouts are waited for once;
    // local activities (claiming, delivering) run again in the replayed workflow task, the others are retried
    const steps = [
      { activityType: 'claimBatch', local: true },
      { activityType: 'sealRecords', local: false },
      { activityType: 'createRecordsOnChain', local: false },
      { activityType: 'deliverBatch', local: true },
    ];
    const batches = await Promise.all(
      steps.map(async (step) => {
        const messages = batchMessages(`KILL-${step.activityType}`, 6);
        return { ...step, messages, workflowId: await sendBatch(messages) };
      }),
    );
    await killHolding(batches);
    const worker = await startWorkerProcess(env);
    try {
      await assertOncePerMessage(batches, from);
      // a local activity leaves no attempts in the history
      for (const { activityType, workflowId } of batches.filter((batch) => !batch.local))
        assert.deepEqual(await attempts(workflowId, activityType), [2], `${activityType} ran again on the new worker`);
    } finally {
      await worker.kill();
    }
  });

  test('anchorBatch, a run failed for good after its transaction committed, then reset: every message anchored once, audited through the reset run', async () => {
    const from = (await stack.chain.getBlockNumber()) + 1;
    const messages = batchMessages('RESET', 6);
    const keys = messages.map((m) => sourceWorkflowId(m.source));
    const workflowId = anchorBatchWorkflowId(bob, shards);
    const planted = { activityType: 'createRecordsOnChain', workflowId };
    const faulty = await startWorkerProcess(
      { ...env, KILL_TEST_FAIL: holdSetting([planted]) },
      { preload: [holdActivity] },
    );
    const handle = stack.client.workflow.getHandle(workflowId);
    let failedRun = '';
    try {
      await sendBatch(messages);
      for (let i = 0; ; i++) {
        const { status, runId } = await handle.describe();
        if (status.name === 'FAILED') {
          failedRun = runId;
          break;
        }
        if (i > 600) assert.fail(`${workflowId} is ${status.name}, not failed:\n${faulty.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(faulty.output().includes(FAILED(planted)), 'the transaction was sent before the run failed');
    } finally {
      await faulty.kill();
    }
    const stranded = await Promise.all(keys.map((key) => stack.engine.state.anchoredMessage(key)));
    assert.deepEqual(
      stranded.map((row) => [row?.claim, row?.record]),
      keys.map(() => [`${workflowId}/${failedRun}#1`, undefined]),
      "claimed under the execution's first run, no record filed",
    );
    const audit = async (key: string) => {
      const run = await runYilian(['audit', 'verify', 'message', key, '--json'], { env });
      return JSON.parse(run.stdout) as {
        state: string;
        detail?: string;
        verdicts?: Array<{ check: string; status: string; detail: string }>;
      };
    };
    const before = await audit(keys[0] ?? '');
    assert.equal(before.state, 'ended');
    assert.match(
      before.detail ?? '',
      new RegExp(`which is failed and filed no record for it; a reset of run ${failedRun} anchors it$`),
    );

    // the operator resets the run to its first workflow task: it claims, seals and sends its batch again
    const events = (await handle.fetchHistory()).events ?? [];
    const firstTask = events.find((event) => event.workflowTaskCompletedEventAttributes);
    const { runId: resetRun } = await stack.client.workflowService.resetWorkflowExecution({
      namespace: stack.client.options.namespace,
      workflowExecution: { workflowId, runId: failedRun },
      reason: 'the planted fault is gone',
      workflowTaskFinishEventId: firstTask?.eventId,
      requestId: randomUUID(),
    });
    const worker = await startWorkerProcess(env);
    try {
      await assertOncePerMessage([{ workflowId, messages }], from);
      const started = (await stack.client.workflow.getHandle(workflowId, resetRun).fetchHistory()).events?.[0];
      assert.equal(
        started?.workflowExecutionStartedEventAttributes?.firstExecutionRunId,
        failedRun,
        "a reset run's first run is the failed run's: the claims are its own",
      );
      const rows = await Promise.all(keys.map((key) => stack.engine.state.anchoredMessage(key)));
      assert.deepEqual(
        rows.map((row) => row?.anchoredBy),
        keys.map(() => `${workflowId}/${resetRun}`),
      );
      const after = await audit(keys[0] ?? '');
      assert.equal(after.state, 'anchored', JSON.stringify(after));
      const failing = (after.verdicts ?? []).filter((v) => v.status === 'FAIL');
      assert.deepEqual(failing, [], 'every check passes');
      assert.match(
        after.verdicts?.find((v) => v.check === 'message')?.detail ?? '',
        new RegExp(
          `under batch run ${workflowId} \\(run ${resetRun}\\) \\(batch 1, claimed under its execution's first run ${failedRun}\\)`,
        ),
      );
    } finally {
      await worker.kill();
    }
  });

  test('anchorBatch, the chain node killed under its transaction and restarted on its data: one record per message', async () => {
    const proxy = await startChainProxy(Number(new URL(stack.devchain.rpcUrl).port));
    const worker = await startWorkerProcess({ ...env, YILIAN_CHAIN_RPC_URL: proxy.rpcUrl });
    try {
      // the node dies before it has the transaction, then after it committed it but before it answered
      for (const point of ['request', 'receipt'] as const) {
        const from = (await stack.chain.getBlockNumber()) + 1;
        const messages = batchMessages(`CHAIN-${point}`, 6);
        const held = proxy.arm(point);
        const workflowId = await sendBatch(messages);
        await held;
        await stack.devchain.restart();
        await assertOncePerMessage([{ workflowId, messages }], from);
      }
    } finally {
      await worker.kill();
      await proxy.close();
    }
  });
});
