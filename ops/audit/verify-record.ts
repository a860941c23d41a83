import { isGrpcServiceError, type Client } from '@temporalio/client';
import { defaultPayloadConverter, type PayloadCodec } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { Hex } from 'viem';
import { ChainEvidence } from '../../core/audit/chain-evidence.js';
import { auditRecord, type HistoryAccount, type ReaderAccess } from '../../core/audit/record-checks.js';
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

/** One record, every check; `reader` from the wallet (CLI only). */
export function verifyRecord(
  sources: AuditSources,
  request: { recordId: Hex; workflowId?: string; reader?: ReaderAccess; noReader?: string },
): Promise<Verdict[]> {
  return auditRecord(
    {
      evidence: new ChainEvidence(sources.chain),
      contracts: sources.contracts,
      blocks: (cid, signal) => sources.store.rawBlock(cid, signal),
    },
    {
      recordId: request.recordId,
      history: (dated) => anchoringAccount(sources, dated, request.workflowId),
      registration: (author) => registrationAccount(sources, author),
      ...(request.reader ? { reader: request.reader } : {}),
      ...(request.noReader ? { noReader: request.noReader } : {}),
    },
  );
}

/**
 * The anchoring workflow's account of a record. Nothing in the engine's database maps a record
 * to its workflow (and the result that names it is sealed by the codec), so the chain says where
 * to look: the workflow started before the record's block and closed after it. Each candidate's
 * history is fetched and decoded here; the first whose result names the record is its account,
 * which the caller then compares with the chain. `workflowId` skips the search.
 */
async function anchoringAccount(
  sources: AuditSources,
  dated: { recordId: Hex; timestamp: number },
  workflowId: string | undefined,
): Promise<HistoryAccount> {
  const candidates = workflowId ? [workflowId] : await anchorCandidates(sources.temporal, dated.timestamp);
  for (const candidate of candidates) {
    const account = await decodedResult(sources, candidate);
    if (typeof account === 'string') {
      if (workflowId) return { unavailable: account };
      continue;
    }
    if (workflowId || account.recordId.toLowerCase() === dated.recordId) return account;
  }
  return {
    unavailable: `no completed anchorRecord workflow on Temporal names record ${dated.recordId} (searched ${candidates.length} that ran across its block's time ${new Date(dated.timestamp).toISOString()})`,
  };
}

async function anchorCandidates(temporal: Client, timestamp: number): Promise<string[]> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const query =
    `WorkflowType = 'anchorRecord' AND ExecutionStatus = 'Completed' AND ` +
    `StartTime <= '${iso(timestamp + CLOCK_SLACK_MS)}' AND CloseTime >= '${iso(timestamp - CLOCK_SLACK_MS)}'`;
  const ids: string[] = [];
  for await (const execution of temporal.workflow.list({ query })) {
    ids.push(execution.workflowId);
    if (ids.length >= MAX_CANDIDATES) break;
  }
  return ids;
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A closed workflow's result as its history holds it, opened with the codec; a string says why not. */
async function closedResult(
  sources: Pick<AuditSources, 'temporal' | 'codec'>,
  workflowId: string,
  type: string,
): Promise<{ result: unknown } | string> {
  let events: HistoryEvent[];
  try {
    events = (await sources.temporal.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  } catch (error) {
    // gRPC NOT_FOUND: fetching a history goes to the service without the client's error mapping
    const code: number | undefined = isGrpcServiceError(error) ? error.code : undefined;
    if (code === GRPC_NOT_FOUND) return `no workflow ${workflowId}`;
    return `workflow ${workflowId}'s history could not be fetched: ${(error as Error).message}`;
  }
  const started = events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  if (started !== type) return `workflow ${workflowId} is a ${started ?? 'workflow of no type'}, not ${type}`;
  const payload = events.at(-1)?.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0];
  if (!payload) return `workflow ${workflowId}'s history does not end in a completed result`;
  try {
    const [decoded] = await sources.codec.decode([payload]);
    return { result: decoded ? defaultPayloadConverter.fromPayload(decoded) : undefined };
  } catch (error) {
    return `workflow ${workflowId}'s result does not open with the payload codec: ${(error as Error).message}`;
  }
}

async function decodedResult(
  sources: AuditSources,
  workflowId: string,
): Promise<Exclude<HistoryAccount, { unavailable: string }> | string> {
  const closed = await closedResult(sources, workflowId, 'anchorRecord');
  if (typeof closed === 'string') return closed;
  const reference = closed.result as { recordId?: unknown; cid?: unknown; transactionHash?: unknown } | undefined;
  if (
    typeof reference?.recordId !== 'string' ||
    typeof reference.cid !== 'string' ||
    !(typeof reference.transactionHash === 'string' || reference.transactionHash === null)
  )
    return `workflow ${workflowId}'s result is not a record reference`;
  return { workflowId, recordId: reference.recordId, cid: reference.cid, transactionHash: reference.transactionHash };
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
