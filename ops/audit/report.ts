import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { mapLimited, scanChain } from '../../core/audit/chain-scan.js';
import type { Period } from '../../core/audit/period.js';
import { buildAuditReport, type AuditReport, type Refusal } from '../../core/audit/report.js';
import type { ContractAddresses } from '../../core/ledger/contract-addresses.js';
import { lookupIdentity } from '../../core/ledger/directory.js';
import type { FiscoClient } from '../../core/ledger/fisco-client.js';
import { intakeDeadLetters } from './intake.js';

/** Close events and Directory entries read at once. */
const LOOKUP_CONCURRENCY = 4;

/** A failure type our code names (`BadRekey`, `DirectoryError.REVOKED`); anything else is not echoed. */
const CATEGORY = /^[A-Za-z][A-Za-z0-9_.]{0,79}$/;

export interface AuditSources {
  chain: FiscoClient;
  contracts: ContractAddresses;
  /** The engine's Temporal namespace; only visibility and close events are read, no payload is decoded. */
  client: Client;
  /** The intake queue's Redis and the engine's task queue, whose dead letters count as refusals when it answers. */
  intake?: { redisUrl: string; taskQueue: string };
}

/**
 * The audit report of a period: the chain's events in the period's blocks (authors from the
 * Directory), from the engine's workflows what leaves no transaction — grants completed and
 * workflows that failed — and the intake's dead letters.
 */
export async function auditReport(sources: AuditSources, period: Period): Promise<AuditReport> {
  const [chain, grants, refusals, intake] = await Promise.all([
    scanChain(sources.chain, sources.contracts, period),
    closedWorkflows(
      sources.client,
      `WorkflowType = 'grantAccess' AND ExecutionStatus = 'Completed' AND ${closedIn(period)}`,
    ).then((runs) => runs.flatMap((run) => (run.closeTime ? [run.closeTime] : []))),
    refusedWorkflows(sources.client, period),
    sources.intake && intakeDeadLetters(sources.intake.redisUrl, sources.intake.taskQueue, period),
  ]);
  const accounts = new Set<string>();
  for (const event of chain.events) {
    if (event.kind === 'recordCreated' || event.kind === 'stepAppended') accounts.add(event.sender);
    if (event.kind === 'identityRevoked') accounts.add(event.account);
  }
  const entries = await mapLimited([...accounts], LOOKUP_CONCURRENCY, async (account) => ({
    account,
    entry: await lookupIdentity(sources.chain, sources.contracts.directory, account),
  }));
  const directory = new Map(entries.flatMap(({ account, entry }) => (entry ? [[account, entry] as const] : [])));
  return buildAuditReport({ period, chain, directory, grants, refusals, intake, generatedAt: new Date() });
}

const closedIn = (period: Period) =>
  `CloseTime >= '${period.from.toISOString()}' AND CloseTime <= '${period.to.toISOString()}'`;

async function closedWorkflows(client: Client, query: string) {
  const runs = [];
  for await (const run of client.workflow.list({ query })) runs.push(run);
  return runs;
}

async function refusedWorkflows(client: Client, period: Period): Promise<Refusal[]> {
  const runs = await closedWorkflows(
    client,
    `ExecutionStatus != 'Running' AND ExecutionStatus != 'Completed' AND ExecutionStatus != 'ContinuedAsNew' AND ${closedIn(period)}`,
  );
  return mapLimited(runs, LOOKUP_CONCURRENCY, async (run) => ({
    workflowType: run.type,
    category:
      run.status.name === 'FAILED'
        ? await failureCategory(client, run.workflowId, run.runId)
        : statusWord(run.status.name),
    time: run.closeTime ?? run.startTime,
  }));
}

const statusWord = (status: string) =>
  status
    .toLowerCase()
    .split('_')
    .map((word) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`)
    .join('');

/**
 * The type of the innermost application failure in the run's close event (an activity's
 * `BadRekey` under the workflow's "activity failed"), or the kind of failure when none has a type.
 * Only the type is read: a failure's message is not the report's business.
 */
async function failureCategory(client: Client, workflowId: string, runId: string): Promise<string> {
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    historyEventFilterType: proto.temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
  });
  let failure = history?.events?.[0]?.workflowExecutionFailedEventAttributes?.failure;
  let category = 'Failed';
  while (failure) {
    const type = failure.applicationFailureInfo?.type;
    if (type && CATEGORY.test(type)) category = type;
    else if (failure.timeoutFailureInfo) category = 'TimedOut';
    failure = failure.cause;
  }
  return category;
}
