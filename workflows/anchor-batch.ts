import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineSignal,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { InboxActivities } from '../activities/inbox/index.js';
import type { PatientActivities } from '../activities/patients/index.js';
import type {
  POISON_RECORDS,
  PoisonRecord,
  RecordActivities,
  RecordNativeActivities,
  SealedRecord,
} from '../activities/records/index.js';
import { anchorRecord, type AnchorRecordInput } from './anchor-record.js';
import { chainIo, localState, nativeActivities } from './activity-options.js';
import { sourceWorkflowId } from './ids.js';

/** A message for a batch: what an anchorRecord run of its own would take, less the author. */
export type BatchMessage = Omit<AnchorRecordInput, 'author'>;

export interface AnchorBatchInput {
  /** The account every record of this execution is signed and created by. */
  author: string;
  /** Messages signalled to an earlier run and not yet claimed (continue-as-new carries them). */
  pending?: BatchMessage[];
  /** Batches run so far by this execution's earlier runs: claims stay unique across runs. */
  batches?: number;
}

export interface AnchorBatchResult {
  /** Batches run by this execution, its earlier runs included. */
  batches: number;
}

export const anchorMessagesSignal = defineSignal<[BatchMessage[]]>('anchorMessages');

/** Records in one batch: one `createBatch`. */
export const MAX_BATCH_RECORDS = 256;
/** Batches per run before continue-as-new: each adds its messages twice (signal, sealing input) to the history. */
const BATCHES_PER_RUN = 20;
/** How long an execution with nothing to do stays open for more before it ends. */
const IDLE = '1 minute';

const { createRecordsOnChain } = proxyActivities<RecordActivities>(chainIo);
const { claimBatch, leaveBatch } = proxyLocalActivities<PatientActivities>(localState);
const { deliverBatch } = proxyLocalActivities<InboxActivities>(localState);

/**
 * Anchors the messages signalled to it in batches (docs/design.md § Anchoring in batches): per
 * batch, one local activity claims the messages and their prekeys, one native activity seals
 * them, one transaction creates them, one local activity delivers them. A message is claimed once
 * in the engine's state, so a message signalled twice, to this run or another, is anchored once;
 * a record whose patient has not enrolled leaves the batch for an anchorRecord run of its own (the
 * id it would have had alone), where it waits durably.
 */
export async function anchorBatch(input: AnchorBatchInput): Promise<AnchorBatchResult> {
  // a claim names the execution's first run, kept by continue-as-new and by a reset: a reset run
  // re-claims the messages of a failed run's batches and sends the records that run filed
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const pending: BatchMessage[] = [];
  const seen = new Set<string>();
  const accept = (messages: readonly BatchMessage[]) => {
    for (const message of messages) {
      const key = sourceWorkflowId(message.source);
      if (seen.has(key)) continue;
      seen.add(key);
      pending.push(message);
    }
  };
  accept(input.pending ?? []);
  setHandler(anchorMessagesSignal, accept);
  let batches = input.batches ?? 0;
  const { sealRecords } = nativeActivities<RecordNativeActivities>();

  for (let thisRun = 0; ; thisRun++) {
    // a timer only when there is nothing to do: under load the loop never waits
    if (pending.length === 0) await condition(() => pending.length > 0, IDLE);
    if (pending.length === 0) return { batches };
    if (thisRun === BATCHES_PER_RUN || workflowInfo().continueAsNewSuggested)
      await continueAsNew<typeof anchorBatch>({ author: input.author, pending, batches });

    const batch = pending.splice(0, MAX_BATCH_RECORDS);
    batches++;
    const claim = `${workflowId}/${firstExecutionRunId}#${batches}`;
    const byKey = new Map(batch.map((message) => [sourceWorkflowId(message.source), message]));
    const claimed = await claimBatch(
      claim,
      [...byKey].map(([messageKey, message]) => ({ messageKey, patient: message.patient })),
    );
    const { wait } = claimed;
    let { anchor } = claimed;
    const messageOf = (key: string) => {
      const message = byKey.get(key);
      if (!message) throw ApplicationFailure.nonRetryable(`claimBatch returned ${key}, which is not in the batch`);
      return message;
    };

    // all started in one workflow task: where few patients have enrolled yet, most of a batch waits
    await Promise.all(
      wait.map(async (key) => {
        try {
          await startChild(anchorRecord, {
            workflowId: key,
            args: [{ ...messageOf(key), author: input.author }],
            parentClosePolicy: 'ABANDON',
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
          });
        } catch (error) {
          // the message has a run of its own already (anchored alone before batches): it is there.
          // The workflow bundle exports no class to test against, so the failure is known by name
          if (!(error instanceof Error && error.name === 'WorkflowExecutionAlreadyStartedError')) throw error;
        }
      }),
    );
    if (anchor.length === 0) continue;

    const sealingOf = (messages: typeof anchor) =>
      messages.map(({ messageKey, patient, prekey }) => {
        const { record, encoding } = messageOf(messageKey);
        return { record, encoding, author: input.author, patient, prekey };
      });
    let sealed: SealedRecord[];
    try {
      sealed = await sealRecords(sealingOf(anchor));
    } catch (error) {
      // a poison message leaves the batch, its reason filed for an operator; the others go on
      const poison = poisonOf(error);
      if (!poison) throw error;
      const left = new Set(
        await leaveBatch(
          claim,
          poison.map(({ index, reason }) => ({ messageKey: anchor[index]?.messageKey ?? '', reason })),
        ),
      );
      anchor = anchor.filter(({ messageKey }) => !left.has(messageKey));
      // sent again (fixed, or once its cause is), it is taken again, by this run too
      for (const key of left) seen.delete(key);
      if (anchor.length === 0) continue;
      sealed = await sealRecords(sealingOf(anchor));
    }
    // what the chain holds for each message: the record its claim filed first, maybe not this sealing's
    const created = await createRecordsOnChain(input.author, sealed, {
      claim,
      messageKeys: anchor.map(({ messageKey }) => messageKey),
    });
    await deliverBatch(
      claim,
      anchor.map(({ messageKey, patient, prekey }, i) => {
        const onChain = created[i];
        if (!onChain) throw ApplicationFailure.nonRetryable('anchoring lost a record of the batch');
        return {
          messageKey,
          patient,
          transactionHash: onChain.transactionHash,
          item: {
            kind: 'record' as const,
            cid: onChain.cid,
            recordId: onChain.recordId,
            prekeyIndex: prekey.index,
            author: input.author.toLowerCase(),
          },
        };
      }),
    );
  }
}

const POISON: typeof POISON_RECORDS = 'PoisonRecords';

/** The records a sealing failed for, each for a reason of its own; undefined for any other failure. */
function poisonOf(error: unknown): PoisonRecord[] | undefined {
  if (!(error instanceof ActivityFailure && error.cause instanceof ApplicationFailure)) return undefined;
  if (error.cause.type !== POISON) return undefined;
  return error.cause.details?.[0] as PoisonRecord[] | undefined;
}
