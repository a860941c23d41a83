/**
 * Captures the reference histories that test/replay.test.ts replays against the current workflow
 * code: runs the seed story on a fresh test engine (synthetic people and the public sample HL7
 * message only), then writes one run of each workflow type as
 * `test/histories/<workflowType>[-variant].json`, in Temporal's history JSON (the format of
 * `temporal workflow show --output json` and of the files `Worker.runReplayHistory` reads).
 * The engine runs WITHOUT the payload codec, so the files hold plain payloads: never capture
 * from real data.
 *
 *   npm run histories:capture            writes the histories that are missing, keeps the others
 *   npm run histories:capture -- --all   writes every one anew
 *
 * Re-capture to add a workflow or a path, not to make a failing replay pass: a history that no
 * longer replays is a run in flight that the change would break (use patching or a new
 * workflow type instead). Keeping the histories already there is what makes them worth
 * replaying: they were written by older code.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '../../ops/audit/replay.js';
import { authorize } from '../../core/operators/authorization.js';
import { runStoryOn } from '../harness/story.js';
import { grantThroughUnseenPrekey } from '../harness/unseen-prekey-grant.js';
import {
  anchorBatchWorkflowId,
  identityWorkflowId,
  localIdentityWorkflowId,
  sourceWorkflowId,
} from '../../workflows/ids.js';
import { sendToAnchorBatch } from '../../workflows/starter.js';
import { startScratchEngine } from '../../ops/scratch/engine.js';
import { anchorStatusQuery } from '../../workflows/anchor-record.js';
import { generateTraceCode } from '../../core/crypto/index.js';
import { stageTraceItems } from '../../core/trace/staged-items.js';
import { bytesToHex } from '@noble/hashes/utils.js';

const historiesDir = fileURLToPath(new URL('.', import.meta.url));

const stack = await startScratchEngine({ payloadCodec: false });
try {
  await stack.startWorkers();
  const outcome = await runStoryOn(stack, { batchSize: 4, say: () => {} });
  // the story's two grants, before the grant below adds one of each
  const storyGrant = await onlyRun(stack.client, 'grantAccess', 'Completed');
  const forgedGrant = await onlyRun(stack.client, 'grantAccess', 'Failed');
  // a grant through an engine that never saw the record's prekey, on the patient's signature
  const unseenPrekeyGrant = await grantThroughUnseenPrekey(stack, outcome);

  const query = await stack.workflows.start.traceQuery(outcome.traceCodes[0] ?? '');
  await query.result();
  const traceQueryId = query.workflowId;
  const regulator = outcome.localIdentities.at(-1) as `0x${string}`;
  const revocation = await stack.workflows.start.revokeIdentity(
    authorize(stack.operator, 'revokeIdentity', { account: regulator }),
  );
  await revocation.result();

  // a record waits under an identifier the hospital then merges into the enrolled patient's
  const merged = { authority: outcome.patient.authority, identifier: `MERGED-${outcome.runId}` };
  const waiting = await stack.workflows.start.anchorRecord({
    source: { kind: 'hl7', sendingFacility: 'Capture', controlId: `record-${outcome.runId}` },
    record: 'MSH|^~\\&|capture',
    patient: merged,
    author: outcome.localIdentities[0] ?? '',
  });
  while ((await waiting.query(anchorStatusQuery)) !== 'waiting for the patient to enrol')
    await new Promise((resolve) => setTimeout(resolve, 100));
  const merge = await stack.workflows.start.mergePatients({
    source: { kind: 'hl7', sendingFacility: 'Capture', controlId: `merge-${outcome.runId}` },
    surviving: outcome.patient,
    merged,
  });
  if ((await merge.result()).woken !== 1) throw new Error('the merge woke no waiting record');
  await waiting.result();

  // an ERP event of three packages in two parts, so the history shows parts following each other
  const manufacturer = outcome.localIdentities[2] as `0x${string}`;
  const eventItems = [1, 2, 3].map((item) => ({
    code: generateTraceCode(),
    data: JSON.stringify({ event: 'shipped', item, by: 'Manufacturer', at: '2026-12-01T09:30:00+08:00' }),
  }));
  const traceEventRun = await stack.workflows.start.traceEvent({
    source: { kind: 'erp', org: manufacturer, eventId: `capture-${outcome.runId}` },
    participant: manufacturer,
    kind: 'shipment',
    items: await stageTraceItems(stack.engine.store, bytesToHex(randomBytes(32)), eventItems, 2),
  });
  await traceEventRun.result();

  // Alice's wallet tops up her prekeys after the story used some
  const alice = outcome.people.alice;
  const topUp = await stack.workflows.start.publishPrekeys({
    owner: alice.identity.address,
    bundle: await alice.addPrekeys(3),
  });
  await topUp.result();

  // a batch of two messages: one for Alice, one for a patient who has not enrolled (it leaves the
  // batch for a run of its own); the execution ends after a minute with nothing to do
  const batchAuthor = outcome.localIdentities[0] ?? '';
  await sendToAnchorBatch(stack.client, stack.taskQueue, {
    author: batchAuthor,
    shard: 0,
    messages: [
      {
        source: { kind: 'hl7', sendingFacility: 'Capture', controlId: `batch-1-${outcome.runId}` },
        record: 'MSH|^~\\&|capture batch 1',
        patient: outcome.patient,
      },
      {
        source: { kind: 'hl7', sendingFacility: 'Capture', controlId: `batch-2-${outcome.runId}` },
        record: 'MSH|^~\\&|capture batch 2',
        patient: { authority: outcome.patient.authority, identifier: `NOT-ENROLLED-${outcome.runId}` },
      },
    ],
  });
  const batchId = anchorBatchWorkflowId(batchAuthor, 0);
  await stack.client.workflow.getHandle(batchId).result();

  const captures: Array<{ file: string; workflowId: string; type: string; status: 'COMPLETED' | 'FAILED' }> = [
    {
      file: 'registerIdentity-local',
      workflowId: localIdentityWorkflowId(`Dr. Bob (${outcome.runId})`),
      type: 'registerIdentity',
      status: 'COMPLETED',
    },
    {
      file: 'registerIdentity-wallet-prekeys',
      workflowId: identityWorkflowId(outcome.people.alice.identity.address),
      type: 'registerIdentity',
      status: 'COMPLETED',
    },
    {
      file: 'enrolPatient',
      workflowId: await onlyRun(stack.client, 'enrolPatient', 'Completed'),
      type: 'enrolPatient',
      status: 'COMPLETED',
    },
    {
      file: 'anchorRecord-waited-for-enrolment',
      workflowId: outcome.recordWorkflowId,
      type: 'anchorRecord',
      status: 'COMPLETED',
    },
    {
      file: 'grantAccess',
      workflowId: storyGrant,
      type: 'grantAccess',
      status: 'COMPLETED',
    },
    {
      file: 'grantAccess-forged-rekey',
      workflowId: forgedGrant,
      type: 'grantAccess',
      status: 'FAILED',
    },
    {
      file: 'grantAccess-unseen-prekey',
      workflowId: unseenPrekeyGrant.workflowId,
      type: 'grantAccess',
      status: 'COMPLETED',
    },
    {
      file: 'traceStep',
      workflowId: sourceWorkflowId({ kind: 'erp', org: 'Manufacturer', eventId: `LOT-${outcome.runId}-produced` }),
      type: 'traceStep',
      status: 'COMPLETED',
    },
    { file: 'traceQuery', workflowId: traceQueryId, type: 'traceQuery', status: 'COMPLETED' },
    { file: 'traceEvent', workflowId: traceEventRun.workflowId, type: 'traceEvent', status: 'COMPLETED' },
    { file: 'mergePatients', workflowId: merge.workflowId, type: 'mergePatients', status: 'COMPLETED' },
    { file: 'revokeIdentity', workflowId: revocation.workflowId, type: 'revokeIdentity', status: 'COMPLETED' },
    { file: 'publishPrekeys', workflowId: topUp.workflowId, type: 'publishPrekeys', status: 'COMPLETED' },
    { file: 'anchorBatch', workflowId: batchId, type: 'anchorBatch', status: 'COMPLETED' },
  ];

  const all = process.argv.includes('--all');
  if (all)
    for (const name of await readdir(historiesDir)) if (name.endsWith('.json')) await rm(join(historiesDir, name));
  const existing = new Set(await readdir(historiesDir));
  for (const capture of captures) {
    if (existing.has(`${capture.file}.json`)) continue;
    const handle = stack.client.workflow.getHandle(capture.workflowId);
    const description = await handle.describe();
    if (description.type !== capture.type || description.status.name !== capture.status) {
      throw new Error(
        `${capture.workflowId} is a ${description.status.name} ${description.type}, expected a ${capture.status} ${capture.type}`,
      );
    }
    const history = await handle.fetchHistory();
    if (
      capture.file === 'anchorRecord-waited-for-enrolment' &&
      !history.events?.some((event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'patientEnrolled')
    ) {
      throw new Error(
        `${capture.workflowId} was never signalled patientEnrolled; the story no longer makes the record wait`,
      );
    }
    // Temporal's history JSON, without indentation: smaller files, same format
    const json = JSON.stringify(historyToJSON(history));
    await writeFile(join(historiesDir, `${capture.file}.json`), `${json}\n`);
    console.log(
      `${capture.file}.json: ${capture.type} ${capture.workflowId}, ${history.events?.length ?? 0} events, ${json.length} bytes`,
    );
  }
} finally {
  await stack.stop();
}

/** The one run of a workflow type in a given state (the story runs one successful and one forged grant, one enrolment). */
async function onlyRun(client: Client, type: string, status: 'Completed' | 'Failed'): Promise<string> {
  const ids: string[] = [];
  for await (const execution of client.workflow.list({
    query: `WorkflowType = '${type}' AND ExecutionStatus = '${status}'`,
  }))
    ids.push(execution.workflowId);
  const [only, ...more] = ids;
  if (only === undefined || more.length > 0)
    throw new Error(`expected one ${status.toLowerCase()} ${type} run in the story, found ${ids.length}`);
  return only;
}
