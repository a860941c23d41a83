/**
 * anchorBatch on the real stack (docs/design.md § Anchoring in batches): messages signalled to one
 * batch execution are anchored in one transaction each batch and delivered, a message signalled
 * twice is anchored once, and a record for a patient who has not enrolled leaves the batch to wait
 * in an anchorRecord run of its own. An auditor finds each message's record, transaction and run
 * (`yilian audit verify record|message`, `yilian audit replay`).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Hex } from 'viem';
import { authorize } from '../core/operators/authorization.js';
import { Role } from '../core/roles.js';
import { readContract } from '../core/ledger/contract-calls.js';
import { RecordRegistry } from '../contracts/artifacts.js';
import { hl7Envelope } from '../connectors/hl7/message-source.js';
import { enrolBenchPatients, syntheticOru } from '../ops/bench/bench-patients.js';
import { describeActions, totalActions, workflowActions } from '../ops/bench/temporal-actions.js';
import { startScratchEngine, type ScratchEngine } from '../ops/scratch/engine.js';
import type { BatchMessage } from '../workflows/anchor-batch.js';
import { anchorStatusQuery, type anchorRecord } from '../workflows/anchor-record.js';
import { anchorBatchWorkflowId, sourceWorkflowId } from '../workflows/ids.js';
import { sendToAnchorBatch } from '../workflows/starter.js';
import { RECORD_CHECKS } from '../core/audit/record-checks.js';
import type { Verdict } from '../core/audit/verdict.js';
import { workerEnv } from '../ops/scratch/worker-process.js';
import { runYilian } from './harness/cli-process.js';
import { rewriteAnchoredMessage } from './harness/planted-faults.js';
import { recordsCreatedSince } from './harness/records-created.js';

let stack: ScratchEngine;
let author: string;
let patients: string[];
const runId = randomUUID().slice(0, 8);

before(async () => {
  stack = await startScratchEngine();
  await stack.startWorkers();
  ({ address: author } = await stack.workflows.execute.registerIdentity(
    authorize(stack.operator, 'registerIdentity', { name: `Batch hospital (${runId})`, role: Role.Hospital }),
  ));
  patients = await enrolBenchPatients(stack, 2, 8, runId);
});
after(async () => stack.stop());

const message = (n: number, patient: string): BatchMessage => {
  const hl7 = syntheticOru(`BATCH-${runId}-${n}`, patient, n);
  const { source, patient: identifier } = hl7Envelope(hl7);
  return { source, record: hl7, patient: identifier };
};
const keyOf = (m: BatchMessage) => sourceWorkflowId(m.source);
const send = (messages: BatchMessage[]) =>
  sendToAnchorBatch(stack.client, stack.taskQueue, { author, shard: 0, messages });

/** Waits until every message has its record filed (at most a minute). */
async function anchored(messages: BatchMessage[]) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const rows = await Promise.all(messages.map((m) => stack.engine.state.anchoredMessage(keyOf(m))));
    const records = rows.flatMap((row) => (row?.record ? [row.record] : []));
    if (records.length === messages.length) return records;
    if (Date.now() > deadline) throw new Error(`only ${records.length} of ${messages.length} anchored`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const patientAccount = async (identifier: string) => {
  const { patient } = message(0, identifier);
  const account = await stack.engine.state.findPatient(
    stack.engine.state.patientRef(patient.authority, patient.identifier),
  );
  assert.ok(account);
  return account;
};

test('a batch anchors each message once, in one transaction, and delivers it; a copy signalled again changes nothing', async (t) => {
  const [alice = '', bob = ''] = patients;
  const first = [message(1, alice), message(2, bob), message(3, alice)];
  await send(first);
  // the first message again, with one more: the copy meets its claim
  const second = [message(1, alice), message(4, bob)];
  await send(second);
  const records = await anchored([...first, message(4, bob)]);
  assert.equal(new Set(records.map((r) => r.recordId)).size, 4, 'one record per message');
  for (const record of records) {
    const [wrappedKey] = await readContract(stack.engine.chain, {
      address: stack.engine.contracts.recordRegistry,
      abi: RecordRegistry.abi,
      functionName: 'get',
      args: [record.recordId as Hex],
    });
    assert.match(wrappedKey, /^0x01/, 'on chain');
    assert.match(record.transactionHash ?? '', /^0x[0-9a-f]{64}$/);
  }
  const transactions = new Set(records.map((r) => r.transactionHash));
  assert.ok(transactions.size <= 2, `a batch is one transaction: ${transactions.size} for two signals`);
  const inbox = await stack.engine.state.inbox(await patientAccount(alice));
  assert.deepEqual(
    inbox.map((item) => item.deliveryId).sort(),
    [keyOf(message(1, alice)), keyOf(message(3, alice))].sort(),
    "one inbox item per message of Alice's, the copy not delivered twice",
  );

  // sent again once it is anchored: still one record, one item
  await send([message(1, alice), message(5, alice)]);
  await anchored([message(5, alice)]);
  const [again] = await anchored([message(1, alice)]);
  assert.equal(again?.recordId, records[0]?.recordId);
  assert.equal((await stack.engine.state.inbox(await patientAccount(alice))).length, 3);

  const actions = await workflowActions(stack.client, anchorBatchWorkflowId(author, 0));
  t.diagnostic(`Temporal actions of the batch execution for its 5 records: ${describeActions(actions, 5)}`);
  assert.ok(totalActions(actions) / 5 < 5, "fewer Temporal actions per record than an anchorRecord run's 5");
});

test('a message anchored alone by its own run, sent to a batch later, stays one record: the batch leaves it to that run', async () => {
  const alone = message(20, patients[1] ?? '');
  const { recordId } = await stack.workflows.execute.anchorRecord({ ...alone, author });
  const from = await stack.chain.getBlockNumber();
  const other = message(21, patients[1] ?? '');
  await send([alone, other]);
  const [filed] = await anchored([other]);
  assert.deepEqual(
    (await recordsCreatedSince(stack, from + 1)).map((r) => r.recordId),
    [filed?.recordId.toLowerCase()],
    "the batch created the other message's record only",
  );
  assert.deepEqual(await stack.engine.state.anchoredMessage(keyOf(alone)), {
    messageKey: keyOf(alone),
    claim: keyOf(alone),
  });
  const audit = await runYilian(['audit', 'verify', 'message', keyOf(alone), '--json'], { env: workerEnv(stack) });
  const answer = JSON.parse(audit.stdout) as { state: string; recordId: string; holds: boolean };
  assert.deepEqual(
    { state: answer.state, recordId: answer.recordId.toLowerCase(), holds: answer.holds },
    { state: 'anchored', recordId: recordId.toLowerCase(), holds: true },
    audit.stdout,
  );
});

test('a record for a patient who has not enrolled leaves the batch and waits in an anchorRecord run of its own', async () => {
  const waiting = message(6, `NOT-ENROLLED-${runId}`);
  const enrolled = message(7, patients[0] ?? '');
  await send([waiting, enrolled]);
  await anchored([enrolled]);
  const row = await stack.engine.state.anchoredMessage(keyOf(waiting));
  assert.ok(row && !row.record, 'claimed by the batch, anchored by no one yet');
  const own = stack.client.workflow.getHandle<typeof anchorRecord>(keyOf(waiting));
  const deadline = Date.now() + 30_000;
  while ((await own.query(anchorStatusQuery).catch(() => 'not yet')) !== 'waiting for the patient to enrol') {
    if (Date.now() > deadline) throw new Error(`the waiting record's own run did not start waiting`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.equal((await own.describe()).type, 'anchorRecord');
});

test('a message the batch left to wait is filed under its row once its own run anchors it, and audited through that run', async () => {
  const lateRun = `${runId}-late`;
  const late = message(10, `BP0-${lateRun}`);
  await send([late, message(11, patients[1] ?? '')]);
  const own = stack.client.workflow.getHandle<typeof anchorRecord>(keyOf(late));
  const deadline = Date.now() + 30_000;
  while ((await own.query(anchorStatusQuery).catch(() => 'not yet')) !== 'waiting for the patient to enrol') {
    if (Date.now() > deadline) throw new Error(`the waiting record's own run did not start waiting`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await enrolBenchPatients(stack, 1, 1, lateRun);
  const [record] = await anchored([late]);
  const { recordId, transactionHash } = await own.result();
  assert.deepEqual([record?.recordId, record?.transactionHash], [recordId, transactionHash]);
  const row = await stack.engine.state.anchoredMessage(keyOf(late));
  assert.equal(row?.anchoredBy, `${keyOf(late)}/${(await own.describe()).runId}`, 'naming the run that anchored it');

  const run = await runYilian(['audit', 'verify', 'message', keyOf(late), '--json'], { env: workerEnv(stack) });
  const audited = JSON.parse(run.stdout) as { state?: string; verdicts?: Verdict[] };
  assert.deepEqual(
    [run.code, audited.state, audited.verdicts?.filter((v) => v.status === 'FAIL')],
    [0, 'anchored', []],
    run.stdout,
  );
  assert.match(
    audited.verdicts?.find((v) => v.check === 'message')?.detail ?? '',
    /under its own anchorRecord run .* \(batch run anchor-batch:.* left it to wait there\) as record/,
  );
});

test('an auditor finds each message of a batch, its record, transaction and run: yilian audit verify record and message, and replay of the batch run; a row that points elsewhere fails', async (t) => {
  const [alice = '', bob = ''] = patients;
  const ours = message(8, alice);
  const other = message(9, bob);
  // the other message goes to the other shard's execution: another batch run to point at
  await sendToAnchorBatch(stack.client, stack.taskQueue, { author, shard: 1, messages: [other] });
  await send([ours]);
  const [record, otherRecord] = await anchored([ours, other]);
  assert.ok(record && otherRecord);
  const row = await stack.engine.state.anchoredMessage(keyOf(ours));
  const [, batchId = '', runOfBatch = ''] = /^(anchor-batch:[^/]+)\/([^#]+)#\d+$/.exec(row?.claim ?? '') ?? [];
  assert.equal(batchId, anchorBatchWorkflowId(author, 0));

  const env = workerEnv(stack);
  const yilian = (...args: string[]) => runYilian(args, { env });
  const audit = async (...args: string[]) => {
    const run = await yilian('audit', 'verify', ...args, '--json');
    assert.ok(run.stdout.length > 0, `no answer (exit ${String(run.code)}): ${run.stderr}`);
    return { code: run.code, ...(JSON.parse(run.stdout) as { state?: string; detail?: string; verdicts?: Verdict[] }) };
  };
  const statuses = (verdicts: Verdict[] = []) => Object.fromEntries(verdicts.map((v) => [v.check, v.status]));
  const detail = (verdicts: Verdict[] = [], check: string) => verdicts.find((v) => v.check === check)?.detail ?? '';
  const clean = Object.fromEntries(
    RECORD_CHECKS.map((check) => [check, check === 'decrypt-signature' ? 'SKIP' : 'PASS']),
  );

  const started = Date.now();
  const [byRecord, byMessage, waiting, unknown, replayed] = await Promise.all([
    audit('record', record.recordId),
    audit('message', keyOf(ours)),
    audit('message', keyOf(message(6, `NOT-ENROLLED-${runId}`))),
    yilian('audit', 'verify', 'message', `hl7:NOWHERE:${runId}`),
    yilian('audit', 'replay', batchId, '--run-id', runOfBatch),
  ]);
  t.diagnostic(`five yilian processes at once: ${Date.now() - started} ms`);
  // the record, found by its block's time among the runs: the batch run's activities name it
  assert.deepEqual({ code: byRecord.code, checks: statuses(byRecord.verdicts) }, { code: 0, checks: clean });
  assert.match(
    detail(byRecord.verdicts, 'history'),
    new RegExp(
      `^workflow ${batchId} \\(run ${runOfBatch}\\)'s history \\(decoded through the payload codec\\) names the same record id, CID and transaction$`,
    ),
  );
  // the message: the row says where, the run's history and the chain agree
  assert.deepEqual(
    { code: byMessage.code, state: byMessage.state, checks: statuses(byMessage.verdicts) },
    { code: 0, state: 'anchored', checks: { message: 'PASS', ...clean } },
  );
  assert.match(
    detail(byMessage.verdicts, 'message'),
    new RegExp(`under batch run ${batchId} \\(run ${runOfBatch}\\) \\(batch \\d+\\) as record ${record.recordId}`),
  );
  // a message left to wait for its patient is named with the run that holds it
  assert.deepEqual({ code: waiting.code, state: waiting.state }, { code: 0, state: 'waiting' });
  const waitingKey = keyOf(message(6, `NOT-ENROLLED-${runId}`));
  assert.ok(
    waiting.detail?.startsWith(`its own anchorRecord run ${waitingKey} (run `) &&
      waiting.detail.endsWith(
        `is running (it waits for the patient to enrol); batch run ${batchId} left it to wait there`,
      ),
    waiting.detail,
  );
  assert.deepEqual(
    { code: unknown.code, stderr: unknown.stderr },
    {
      code: 2,
      stderr: `yilian: no message hl7:NOWHERE:${runId}: the engine's state holds no claim of it, and Temporal no run under that id\n`,
    },
  );
  assert.equal(replayed.code, 0, replayed.stderr);
  assert.match(
    replayed.stdout,
    new RegExp(`^replayed ${batchId} \\(anchorBatch, run ${runOfBatch}\\): \\d+ events, deterministic\\n$`),
  );

  // the row rewritten behind the engine's back: pointing at the other shard's run, or at its record
  const otherRow = await stack.engine.state.anchoredMessage(keyOf(other));
  const original = rewriteAnchoredMessage(stack.home, keyOf(ours), {
    claim: otherRow?.claim ?? '',
    anchored_by: otherRow?.anchoredBy ?? null,
  });
  const wrongRun = await audit('message', keyOf(ours));
  // the claim moved alone: the run the row says anchored it is not of the claiming execution
  rewriteAnchoredMessage(stack.home, keyOf(ours), { ...original, claim: otherRow?.claim ?? '' });
  const wrongClaim = await audit('message', keyOf(ours));
  rewriteAnchoredMessage(stack.home, keyOf(ours), { ...original, record_id: otherRecord.recordId });
  const wrongRecord = await audit('message', keyOf(ours));
  // no record filed: held by the running batch run, or by a run Temporal does not know
  rewriteAnchoredMessage(stack.home, keyOf(ours), { ...original, record_id: null });
  const held = await audit('message', keyOf(ours));
  rewriteAnchoredMessage(stack.home, keyOf(ours), {
    ...original,
    claim: `${batchId}/${randomUUID()}#1`,
    record_id: null,
  });
  const lost = await audit('message', keyOf(ours));
  rewriteAnchoredMessage(stack.home, keyOf(ours), original);
  assert.deepEqual(
    [held.code, held.state, held.detail],
    [
      0,
      'claimed',
      `claimed by batch run ${batchId} (run ${runOfBatch}) (batch ${original.claim.split('#')[1] ?? ''}), not on chain yet`,
    ],
  );
  assert.deepEqual([lost.code, lost.state], [1, 'ended']);
  assert.match(lost.detail ?? '', /\(batch 1\), which Temporal does not know and filed no record for it$/);
  assert.deepEqual(
    { code: wrongRun.code, checks: statuses(wrongRun.verdicts) },
    {
      code: 1,
      checks: {
        ...clean,
        message: 'FAIL',
        'id-binds-cid': 'SKIP',
        'content-hash': 'SKIP',
        ciphertext: 'SKIP',
        history: 'FAIL',
      },
    },
  );
  assert.match(detail(wrongRun.verdicts, 'history'), new RegExp(`anchored no message ${keyOf(ours)}`));
  assert.deepEqual([wrongClaim.code, statuses(wrongClaim.verdicts).message], [1, 'FAIL']);
  assert.match(
    detail(wrongClaim.verdicts, 'message'),
    new RegExp(
      `says run ${batchId} \\(run ${runOfBatch}\\) anchored it, neither a run of ${anchorBatchWorkflowId(author, 1)}, which claimed it, nor its own`,
    ),
  );
  assert.deepEqual(
    { code: wrongRecord.code, checks: statuses(wrongRecord.verdicts) },
    {
      code: 1,
      // the run's CID for the message is not the other record's: its id does not bind it
      checks: {
        message: 'FAIL',
        ...clean,
        'id-binds-cid': 'FAIL',
        'content-hash': 'SKIP',
        ciphertext: 'SKIP',
        history: 'FAIL',
      },
    },
  );
  assert.match(
    detail(wrongRecord.verdicts, 'message'),
    new RegExp(`names record ${record.recordId}, not ${otherRecord.recordId}`),
  );
});

test('a poison message leaves its batch with its reason, visible to the audit, and the others are anchored; sent again sound, it is anchored', async () => {
  const [alice = '', bob = ''] = patients;
  const sound = [message(12, alice), message(13, bob)];
  const poison: BatchMessage = { ...message(14, bob), encoding: 'base64', record: 'not base64!' };
  await send([sound[0] ?? poison, poison, sound[1] ?? poison]);
  const records = await anchored(sound);
  assert.equal(new Set(records.map((r) => r.transactionHash)).size, 1, 'the others in one transaction');
  const row = await stack.engine.state.anchoredMessage(keyOf(poison));
  assert.equal(row?.record, undefined);
  assert.equal(row?.failure, 'BadRecordEncoding: the record is marked base64 but is not base64 text');

  const env = workerEnv(stack);
  const audit = async (key: string) => {
    const run = await runYilian(['audit', 'verify', 'message', key, '--json'], { env });
    return { code: run.code, ...(JSON.parse(run.stdout) as { state?: string; detail?: string; verdicts?: Verdict[] }) };
  };
  const [failed, after] = await Promise.all([audit(keyOf(poison)), audit(keyOf(sound[1] ?? poison))]);
  assert.deepEqual([failed.code, failed.state], [1, 'ended']);
  assert.match(
    failed.detail ?? '',
    /^it left batch run anchor-batch:\S+ \(run \S+\) \(batch \d+\) without a record: BadRecordEncoding: the record is marked base64 but is not base64 text; sent again, it is claimed and anchored anew$/,
  );
  // the message after the poison one in the batch: its record is found at its place among those sealed
  assert.deepEqual(
    [after.code, after.state, after.verdicts?.filter((v) => v.status === 'FAIL')],
    [0, 'anchored', []],
    JSON.stringify(after),
  );

  await send([message(14, bob)]);
  const [again] = await anchored([message(14, bob)]);
  assert.ok(again, 'sent again sound, it is anchored');
  assert.equal((await stack.engine.state.anchoredMessage(keyOf(poison)))?.failure, undefined);
});
