import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
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

/**
 * Kills the worker process (SIGKILL, no drain) while each workflow is inside its chain write, starts
 * a new one, and checks that exactly one record / one trace step exists afterwards.
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
});
