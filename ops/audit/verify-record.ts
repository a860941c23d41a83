import { isGrpcServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { Hex } from 'viem';
import { z } from 'zod';
import { ChainEvidence } from '../../core/audit/chain-evidence.js';
import { auditRecord, runName, type HistoryAccount, type ReaderAccess } from '../../core/audit/record-checks.js';
import type { RegistrationAccount } from '../../core/audit/standing.js';
import { identityWorkflowId, localIdentityWorkflowId } from '../../workflows/ids.js';
import type { Verdict } from '../../core/audit/verdict.js';
import type { ContractAddresses } from '../../core/ledger/contract-addresses.js';
import type { FiscoClient } from '../../core/ledger/fisco-client.js';
import type { ContentStore } from '../../core/storage/index.js';

/** Where an audit reads: the chain, the content store's raw blocks, and Temporal for the anchoring history. */
export interface AuditSources {
  chain: FiscoClient;
  contracts: ContractAddresses;
  store: ContentStore;
  /** A Temporal client (its own data converter is not used: histories are decoded here with `codec`). */
  temporal: Client;
  codec: PayloadCodec;
}

/**
 * How far apart the chain's clock (the record's block) and Temporal's (the workflow's start and
 * close) may be: the workflow started before its transaction and closed after it, within this.
 */
const CLOCK_SLACK_MS = 5 * 60_000;
/** gRPC's status NOT_FOUND (@grpc/grpc-js is not a dependency of our own). */
const GRPC_NOT_FOUND = 5;
/** The most anchoring workflows one look-up decodes before it gives up. */
const MAX_CANDIDATES = 200;

/** A run that anchored records; without `runId`, the latest run of `workflowId`. */
export interface AnchoringRun {
  workflowId: string;
  runId?: string;
}

/** One record, every check; `reader` from the wallet (CLI only). */
export function verifyRecord(
  sources: AuditSources,
  request: {
    recordId: Hex;
    /** Where the record's history is: given, its account is compared whatever it names; else found by time. */
    anchoring?: AnchoringRun | (() => Promise<HistoryAccount>);
    reader?: ReaderAccess;
    noReader?: string;
  },
): Promise<Verdict[]> {
  const { anchoring } = request;
  return auditRecord(
    {
      evidence: new ChainEvidence(sources.chain),
      contracts: sources.contracts,
      blocks: (cid, signal) => sources.store.rawBlock(cid, signal),
    },
    {
      recordId: request.recordId,
      history: (dated) =>
        typeof anchoring === 'function'
          ? anchoring()
          : anchoring
            ? namedAccount(sources, anchoring, { recordId: dated.recordId })
            : anchoringAccount(sources, dated),
      registration: (author) => registrationAccount(sources, author),
      ...(request.reader ? { reader: request.reader } : {}),
      ...(request.noReader ? { noReader: request.noReader } : {}),
    },
  );
}

/** What a history is asked about: a record by its id, or a message by its key (batches file both). */
export type Wanted = { recordId: string } | { messageKey: string };

type RunAccount = Exclude<HistoryAccount, { unavailable: string }>;

/** A named run's account of what it anchored, or why there is none. */
export async function namedAccount(sources: AuditSources, run: AnchoringRun, wanted: Wanted): Promise<HistoryAccount> {
  const account = await runAccount(sources, run, wanted);
  return typeof account === 'string' ? { unavailable: account } : account;
}

/**
 * The anchoring workflow's account of a record. Nothing in the engine's database maps a record
 * to its workflow run (and the results that name it are sealed by the codec), so the chain says
 * where to look: the run started before the record's block and closed after it (or runs still).
 * Each candidate's history is fetched and decoded here; the first that names the record is its
 * account, which the caller then compares with the chain.
 */
async function anchoringAccount(
  sources: AuditSources,
  dated: { recordId: Hex; timestamp: number },
): Promise<HistoryAccount> {
  const candidates = await anchorCandidates(sources.temporal, dated.timestamp);
  for (const candidate of candidates) {
    const account = await runAccount(sources, candidate, { recordId: dated.recordId });
    if (typeof account !== 'string' && account.recordId.toLowerCase() === dated.recordId) return account;
  }
  return {
    unavailable: `no anchorRecord or anchorBatch run on Temporal names record ${dated.recordId} (searched ${candidates.length} that ran across its block's time ${new Date(dated.timestamp).toISOString()})`,
  };
}

/**
 * The runs that may have anchored a record of a block at `timestamp`: anchorBatch runs however
 * they ended (a batch run ends by continuing as new, and one still running has anchored batches
 * too), then completed anchorRecord runs. Batch runs come first: a few of them anchor what
 * thousands of anchorRecord runs would, so the bound on candidates does not crowd them out.
 */
async function anchorCandidates(temporal: Client, timestamp: number): Promise<Required<AnchoringRun>[]> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const during =
    `StartTime <= '${iso(timestamp + CLOCK_SLACK_MS)}' AND ` +
    `(ExecutionStatus = 'Running' OR CloseTime >= '${iso(timestamp - CLOCK_SLACK_MS)}')`;
  const runs: Required<AnchoringRun>[] = [];
  for (const query of [
    `WorkflowType = 'anchorBatch' AND ${during}`,
    `WorkflowType = 'anchorRecord' AND ExecutionStatus = 'Completed' AND ${during}`,
  ])
    for await (const execution of temporal.workflow.list({ query })) {
      if (runs.length >= MAX_CANDIDATES) return runs;
      runs.push({ workflowId: execution.workflowId, runId: execution.runId });
    }
  return runs;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payload = temporal.api.common.v1.IPayload;

/** A run's history, from its start, and its run id (the latest run's, when none is named); a string says why not. */
async function runHistory(
  sources: Pick<AuditSources, 'temporal'>,
  run: AnchoringRun,
): Promise<{ type: string; runId: string; events: HistoryEvent[] } | string> {
  const name = runName(run);
  let events: HistoryEvent[];
  let runId = run.runId;
  try {
    // the latest run named first, so its history is not another's that started in between
    runId ??= (await sources.temporal.workflow.getHandle(run.workflowId).describe()).runId;
    events = (await sources.temporal.workflow.getHandle(run.workflowId, runId).fetchHistory()).events ?? [];
  } catch (error) {
    // gRPC NOT_FOUND: fetching a history goes to the service without the client's error mapping
    const code: number | undefined = isGrpcServiceError(error) ? error.code : undefined;
    if (code === GRPC_NOT_FOUND || error instanceof WorkflowNotFoundError) return `no workflow ${name}`;
    return `workflow ${name}'s history could not be fetched: ${(error as Error).message}`;
  }
  const type = events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  return type ? { type, runId, events } : `workflow ${name}'s history has no start`;
}

/** A payload of the history, opened with the codec (every payload the engine's workers wrote is sealed). */
async function opened(codec: PayloadCodec, payload: Payload | null | undefined): Promise<unknown> {
  if (!payload) return undefined;
  const [decoded] = await codec.decode([payload]);
  return decoded ? defaultPayloadConverter.fromPayload(decoded) : undefined;
}

/** A closed workflow's result as its history holds it, opened with the codec; a string says why not. */
async function closedResult(
  sources: Pick<AuditSources, 'temporal' | 'codec'>,
  workflowId: string,
  type: string,
): Promise<{ result: unknown } | string> {
  const history = await runHistory(sources, { workflowId });
  if (typeof history === 'string') return history;
  return resultOf(sources.codec, workflowId, type, history);
}

async function resultOf(
  codec: PayloadCodec,
  name: string,
  type: string,
  history: { type: string; events: readonly HistoryEvent[] },
): Promise<{ result: unknown } | string> {
  if (history.type !== type) return `workflow ${name} is a ${history.type}, not ${type}`;
  const payload = history.events.at(-1)?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0];
  if (!payload) return `workflow ${name}'s history does not end in a completed result`;
  try {
    return { result: await opened(codec, payload) };
  } catch (error) {
    return `workflow ${name}'s result does not open with the payload codec: ${(error as Error).message}`;
  }
}

/**
 * What a run says it anchored of `wanted`: an anchorRecord run its result (the record of the
 * message its id names), an anchorBatch run the results of its activities (batchEntries).
 */
async function runAccount(sources: AuditSources, run: AnchoringRun, wanted: Wanted): Promise<RunAccount | string> {
  const name = runName(run);
  const history = await runHistory(sources, run);
  if (typeof history === 'string') return history;
  if (history.type === 'anchorBatch') {
    const entries = await batchEntries(sources.codec, history.events);
    if (typeof entries === 'string') return `workflow ${name}'s history: ${entries}`;
    const entry = entries.find((e) =>
      'messageKey' in wanted ? e.messageKey === wanted.messageKey : e.recordId.toLowerCase() === wanted.recordId,
    );
    const what = 'messageKey' in wanted ? `message ${wanted.messageKey}` : `record ${wanted.recordId}`;
    if (!entry) return `workflow ${name} (anchorBatch) anchored no ${what} (it anchored ${entries.length} records)`;
    if (entry.transactionHash === undefined)
      return `workflow ${name} sealed ${what} as record ${entry.recordId}, but its createRecordsOnChain has not completed`;
    return {
      workflowId: run.workflowId,
      runId: history.runId,
      recordId: entry.recordId,
      cid: entry.cid,
      transactionHash: entry.transactionHash,
    };
  }
  if ('messageKey' in wanted && run.workflowId !== wanted.messageKey)
    return `workflow ${name} is not message ${wanted.messageKey}'s own run`;
  const closed = await resultOf(sources.codec, name, 'anchorRecord', history);
  if (typeof closed === 'string') return closed;
  const reference = recordReference.safeParse(closed.result);
  if (!reference.success) return `workflow ${name}'s result is not a record reference`;
  return { workflowId: run.workflowId, ...reference.data };
}

const recordReference = z.object({
  recordId: z.string(),
  cid: z.string(),
  transactionHash: z.string().nullable(),
});
const claimed = z.object({ anchor: z.array(z.object({ messageKey: z.string() })) });
const sealed = z.array(z.object({ recordId: z.string(), cid: z.string() }));
// a cid where the batch's claim filed a record sealed by an earlier run (a reset one sends that again)
const created = z.array(z.object({ recordId: z.string(), cid: z.string().optional(), transactionHash: z.string() }));
const localActivity = z.object({ activity_type: z.string() });

/** A record a batch run anchored: the message it was claimed for, and its transaction once written. */
interface BatchEntry {
  messageKey: string | undefined;
  recordId: string;
  cid: string;
  transactionHash: string | undefined;
}

/**
 * Every record an anchorBatch run sealed, from its history alone: per batch, the claimBatch
 * marker lists the claimed messages in the order sealRecords takes them, sealRecords' result
 * gives each record id and CID, and createRecordsOnChain's result, in the same order, the
 * transaction of each, and the record it sent instead where the claim had filed an earlier run's.
 * A string says which result does not read.
 */
async function batchEntries(codec: PayloadCodec, events: HistoryEvent[]): Promise<BatchEntry[] | string> {
  const scheduled = new Map<string, string>();
  const entries: BatchEntry[] = [];
  let batch: BatchEntry[] = [];
  let claimedKeys: string[] = [];
  try {
    for (const event of events) {
      const marker = event.markerRecordedEventAttributes;
      if (marker?.markerName === 'core_local_activity') {
        // core writes the marker's own data unsealed; the activity's result is sealed as any payload
        const data = marker.details?.data?.payloads?.[0];
        const kind = localActivity.safeParse(data ? defaultPayloadConverter.fromPayload(data) : undefined);
        const result = marker.details?.result?.payloads?.[0];
        if (kind.success && kind.data.activity_type === 'claimBatch')
          claimedKeys = claimed.parse(await opened(codec, result)).anchor.map((a) => a.messageKey);
        // poison messages left the batch: the sealing that follows takes the others
        if (kind.success && kind.data.activity_type === 'leaveBatch') {
          const left = new Set(z.array(z.string()).parse(await opened(codec, result)));
          claimedKeys = claimedKeys.filter((key) => !left.has(key));
        }
      }
      const activity = event.activityTaskScheduledEventAttributes;
      if (activity?.activityType?.name) scheduled.set(String(event.eventId), activity.activityType.name);
      const completed = event.activityTaskCompletedEventAttributes;
      if (!completed) continue;
      const type = scheduled.get(String(completed.scheduledEventId));
      const result = completed.result?.payloads?.[0];
      if (type === 'sealRecords') {
        batch = sealed.parse(await opened(codec, result)).map(({ recordId, cid }, i) => ({
          messageKey: claimedKeys[i],
          recordId,
          cid,
          transactionHash: undefined,
        }));
        entries.push(...batch);
      } else if (type === 'createRecordsOnChain')
        created.parse(await opened(codec, result)).forEach(({ recordId, cid, transactionHash }, i) => {
          const entry = batch[i];
          if (!entry) return;
          if (cid !== undefined) Object.assign(entry, { recordId, cid });
          if (entry.recordId.toLowerCase() === recordId.toLowerCase()) entry.transactionHash = transactionHash;
        });
    }
  } catch (error) {
    return error instanceof z.ZodError
      ? `an activity result is not of the shape anchorBatch writes (${error.issues.map((i) => i.message).join('; ')})`
      : `a result does not open with the payload codec: ${(error as Error).message}`;
  }
  return entries;
}

/**
 * The author's registerIdentity run, by the ids it can have (a wallet's key, or keys the engine
 * made under the Directory name): its result names the registering transaction. It is on the
 * CA's engine; elsewhere there is none, and the author check says so.
 */
export async function registrationAccount(
  sources: Pick<AuditSources, 'temporal' | 'codec'>,
  author: { address: Hex; name: string },
): Promise<RegistrationAccount> {
  const reasons: string[] = [];
  for (const workflowId of [identityWorkflowId(author.address), localIdentityWorkflowId(author.name)]) {
    const closed = await closedResult(sources, workflowId, 'registerIdentity');
    if (typeof closed === 'string') {
      reasons.push(closed);
      continue;
    }
    const registered = closed.result as { address?: unknown; transactionHash?: unknown } | undefined;
    if (typeof registered?.address !== 'string' || registered.address.toLowerCase() !== author.address)
      reasons.push(`workflow ${workflowId} registered another account`);
    else if (typeof registered.transactionHash !== 'string')
      reasons.push(`workflow ${workflowId} names no transaction (the entry was on chain before it ran)`);
    else return { workflowId, transactionHash: registered.transactionHash };
  }
  return {
    unavailable: `no registerIdentity history on this engine names its registering transaction (${reasons.join('; ')})`,
  };
}
