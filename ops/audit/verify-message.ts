import { WorkflowNotFoundError } from '@temporalio/client';
import type { Hex } from 'viem';
import type { AnchoredMessage } from '../../activities/state/index.js';
import type { MessageAudit } from '../../core/audit/message-audit.js';
import { runName } from '../../core/audit/record-checks.js';
import { fail, pass, type Verdict } from '../../core/audit/verdict.js';
import { namedAccount, verifyRecord, type AnchoringRun, type AuditSources } from './verify-record.js';

/**
 * Audits one message by its key (`hl7:<MSH-4>:<MSH-10>`, the id its own run would have). The
 * engine's `anchored_messages` row (`anchored`) only says where to look: the record is the one
 * the named run's history anchored for this message, and every value is compared with that
 * history and the chain. A message without a row was anchored, as before batches, by an
 * anchorRecord run under its key (a batch that was sent it later files a row under that key, and
 * leaves it); so is one a batch left to wait for its patient.
 */
export async function verifyMessage(
  sources: AuditSources,
  anchored: (messageKey: string) => Promise<AnchoredMessage | undefined>,
  messageKey: string,
  options: { noReader?: string } = {},
): Promise<MessageAudit> {
  const found = await anchored(messageKey);
  // a row under the message's own key only records that a batch found it anchored alone: its own run is the account
  const row = found?.claim === messageKey ? undefined : found;
  if (row?.record) {
    const batch = batchOfClaim(row.claim);
    const anchoring = await anchoringRun(sources, row, batch);
    const account = 'unavailable' in anchoring ? anchoring : await namedAccount(sources, anchoring.run, { messageKey });
    const filed = row.record;
    const where = 'unavailable' in anchoring ? 'no run' : anchoring.where;
    let check: Verdict;
    if ('unavailable' in account)
      check = fail(
        'message',
        `the engine's state files it under ${where}, whose history does not anchor it: ${account.unavailable}`,
      );
    else {
      const differs = [
        filed.recordId.toLowerCase() !== account.recordId.toLowerCase() &&
          `record ${account.recordId}, not ${filed.recordId}`,
        filed.cid !== account.cid && `CID ${account.cid}, not ${filed.cid}`,
        filed.transactionHash?.toLowerCase() !== account.transactionHash?.toLowerCase() &&
          `transaction ${account.transactionHash ?? 'none'}, not ${filed.transactionHash ?? 'none'}`,
      ].filter((problem) => problem !== false);
      check =
        differs.length > 0
          ? fail('message', `the engine's state files it under ${where}, whose history names ${differs.join(', ')}`)
          : pass(
              'message',
              `the engine's state files it under ${where} as record ${filed.recordId}; that run's history anchored the same record, CID and transaction for it`,
            );
    }
    const verdicts = await verifyRecord(sources, {
      recordId: filed.recordId.toLowerCase() as Hex,
      anchoring: () => Promise.resolve(account),
      ...options,
    });
    return { messageKey, state: 'anchored', recordId: filed.recordId, verdicts: [check, ...verdicts] };
  }

  if (row?.failure) {
    const batch = batchOfClaim(row.claim);
    return {
      messageKey,
      state: 'ended',
      run: batch?.run ?? { workflowId: row.claim },
      detail: `it left ${batch ? `batch run ${runName(batch.run)} (batch ${batch.number})` : JSON.stringify(row.claim)} without a record: ${row.failure}; sent again, it is claimed and anchored anew`,
    };
  }
  const own = await ownRun(sources, messageKey);
  if (!own) {
    if (!row)
      return {
        messageKey,
        state: 'unknown',
        detail: `no message ${messageKey}: the engine's state holds no claim of it, and Temporal no run under that id`,
      };
    const batch = batchOfClaim(row.claim);
    if (!batch)
      return {
        messageKey,
        state: 'ended',
        run: { workflowId: row.claim },
        detail: `the engine's state holds it under ${JSON.stringify(row.claim)}, which names no run, and files no record`,
      };
    // a batch run files its batch's records before it continues as new or ends, so only a running
    // run of the claim's execution (the chain from its first run, resets included) may still owe it
    const latest = await describeRun(sources, { workflowId: batch.run.workflowId });
    const holder = `batch run ${runName(batch.run)} (batch ${batch.number})`;
    if (latest?.firstRunId === batch.run.runId && latest.status === 'RUNNING')
      return { messageKey, state: 'claimed', run: batch.run, detail: `claimed by ${holder}, not on chain yet` };
    const described = latest?.firstRunId === batch.run.runId ? latest : await describeRun(sources, batch.run);
    return {
      messageKey,
      state: 'ended',
      run: batch.run,
      detail: `claimed by ${holder}, which ${described ? `is ${statusName(described.status)}` : 'Temporal does not know'} and filed no record for it${
        described && described.status !== 'COMPLETED' && described.status !== 'CONTINUED_AS_NEW'
          ? `; a reset of run ${described.runId} anchors it`
          : ''
      }`,
    };
  }
  if (own.type !== 'anchorRecord')
    return {
      messageKey,
      state: 'unknown',
      detail: `no message ${messageKey}: it names a ${own.type} workflow, not a message's anchorRecord run`,
    };
  const run = { workflowId: messageKey, runId: own.runId };
  const left = row ? `; batch run ${batchOfClaim(row.claim)?.run.workflowId ?? row.claim} left it to wait there` : '';
  if (own.status === 'RUNNING')
    return {
      messageKey,
      state: 'waiting',
      run,
      detail: `its own anchorRecord run ${runName(run)} is running (it waits for the patient to enrol)${left}`,
    };
  const account = await namedAccount(sources, run, { messageKey });
  if (own.status !== 'COMPLETED' || 'unavailable' in account)
    return {
      messageKey,
      state: 'ended',
      run,
      detail: `its own anchorRecord run ${runName(run)} ended ${statusName(own.status)} without a record${
        'unavailable' in account ? ` (${account.unavailable})` : ''
      }${left}`,
    };
  const verdicts = await verifyRecord(sources, {
    recordId: account.recordId.toLowerCase() as Hex,
    anchoring: () => Promise.resolve(account),
    ...options,
  });
  return {
    messageKey,
    state: 'anchored',
    recordId: account.recordId,
    verdicts: [pass('message', `anchored by its own anchorRecord run ${runName(run)}${left}`), ...verdicts],
  };
}

/**
 * The run that anchored a message's record, as its row names it, and how to name it: a run of the
 * batch execution whose first run claimed it (a later run of its chain, or a reset run), or the
 * message's own anchorRecord run, which the batch left it to wait in. A row filed before the
 * engine named the anchoring run claims under that run itself.
 */
async function anchoringRun(
  sources: AuditSources,
  row: AnchoredMessage,
  batch: { run: Required<AnchoringRun>; number: number } | undefined,
): Promise<{ run: Required<AnchoringRun>; where: string } | { unavailable: string }> {
  if (!batch)
    return {
      unavailable: `the engine's state files the message under ${JSON.stringify(row.claim)}, which names no run`,
    };
  const slash = row.anchoredBy?.lastIndexOf('/') ?? -1;
  const run = row.anchoredBy
    ? { workflowId: row.anchoredBy.slice(0, slash), runId: row.anchoredBy.slice(slash + 1) }
    : batch.run;
  const claimed = `batch ${batch.number}`;
  if (run.workflowId === row.messageKey)
    return {
      run,
      where: `its own anchorRecord run ${runName(run)} (batch run ${runName(batch.run)} left it to wait there)`,
    };
  if (run.workflowId !== batch.run.workflowId)
    return {
      unavailable: `the engine's state says run ${runName(run)} anchored it, neither a run of ${batch.run.workflowId}, which claimed it, nor its own`,
    };
  if (run.runId === batch.run.runId) return { run, where: `batch run ${runName(run)} (${claimed})` };
  const described = await describeRun(sources, run);
  if (described?.firstRunId !== batch.run.runId)
    return {
      unavailable: `the engine's state says run ${runName(run)} anchored it, which is not of the execution whose first run ${batch.run.runId} claimed it`,
    };
  return {
    run,
    where: `batch run ${runName(run)} (${claimed}, claimed under its execution's first run ${batch.run.runId})`,
  };
}

/**
 * The batch execution a claim names by its first run: `<batch workflow id>/<first run id>#<batch
 * number>` (workflows/anchor-batch.ts; claims made before first runs were named the run itself).
 */
function batchOfClaim(claim: string): { run: Required<AnchoringRun>; number: number } | undefined {
  const parts = /^(anchor-batch:[^/]+)\/([^/#]+)#(\d+)$/.exec(claim);
  if (!parts?.[1] || !parts[2] || !parts[3]) return undefined;
  return { run: { workflowId: parts[1], runId: parts[2] }, number: Number(parts[3]) };
}

/** `CONTINUED_AS_NEW` as `continued as new`. */
const statusName = (status: string) => status.toLowerCase().replaceAll('_', ' ');

/** The run under the message's own key, if there is one: before batches, and for a message that waited. */
const ownRun = (sources: AuditSources, messageKey: string) => describeRun(sources, { workflowId: messageKey });

async function describeRun(
  sources: AuditSources,
  run: AnchoringRun,
): Promise<{ type: string; runId: string; firstRunId: string | undefined; status: string } | undefined> {
  try {
    const description = await sources.temporal.workflow.getHandle(run.workflowId, run.runId).describe();
    return {
      type: description.type,
      runId: description.runId,
      // the run that began its chain of continue-as-new, retries and resets
      firstRunId: description.raw.workflowExecutionInfo?.firstRunId ?? undefined,
      status: description.status.name,
    };
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}
