import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import type { Config } from '../config/index.js';
import { workflowInterceptorModules, workflowsPath as engineWorkflowsPath } from '../workers/orchestration.js';
import { isWorkflowName, type WorkflowName } from '../../workflows/starter.js';
import * as engineWorkflows from '../../workflows/index.js';
import { prefetched } from './prefetched.js';
import { replayDataConverter, type History } from './replay.js';

/** Histories fetched ahead of the replay worker: enough to keep it busy, few enough not to crowd the frontend. */
const FETCH_CONCURRENCY = 4;

export interface ReplayFailure {
  workflowId: string;
  runId: string;
  type: string;
  reason: string;
}

/** What `yilian audit replay --all --json` prints. */
export interface ReplaySummary {
  replayed: number;
  deterministic: number;
  failed: ReplayFailure[];
}

export interface ReplayAllOptions {
  config: Config;
  /** Only workflows closed at or after this time. */
  since?: Date;
  /** Only this workflow type (one of the engine's). */
  type?: string;
  /** Other workflow code to replay against (a candidate release); default this checkout's. */
  workflowsPath?: string;
  /** Called with the number replayed so far and the number the listing expects. */
  progress?: (done: number, total: number) => void;
}

/** The visibility query for the closed workflows of a period, of one type or all. */
function closedWorkflowsQuery(filter: { since?: Date; type?: WorkflowName }): string {
  const clauses = [`ExecutionStatus != 'Running'`];
  if (filter.since) clauses.push(`CloseTime >= '${filter.since.toISOString()}'`);
  if (filter.type) clauses.push(`WorkflowType = '${filter.type}'`);
  return clauses.join(' AND ');
}

export function checkWorkflowType(type: string): WorkflowName {
  if (!isWorkflowName(type))
    throw new Error(
      `--type must be one of the engine's workflows (${engineWorkflowNames().join(', ')}), not ${JSON.stringify(type.slice(0, 60))}`,
    );
  return type;
}

const engineWorkflowNames = (): WorkflowName[] => Object.keys(engineWorkflows).filter(isWorkflowName);

/**
 * Replays every closed workflow of the namespace (since a time, of a type) on this checkout's
 * workflow code, in one replay worker: Temporal's visibility lists them, their histories are
 * fetched a few at a time and decoded by the payload codec inside the worker. A workflow whose
 * history the code does not reproduce is a failure with its reason; nothing is thrown for it.
 */
export async function replayClosedWorkflows(options: ReplayAllOptions): Promise<ReplaySummary> {
  const type = options.type === undefined ? undefined : checkWorkflowType(options.type);
  const query = closedWorkflowsQuery({ ...(options.since ? { since: options.since } : {}), ...(type ? { type } : {}) });
  const dataConverter = await replayDataConverter(options.config);
  const connection = await Connection.connect({
    address: options.config.temporal.address,
    tls: options.config.temporal.tls,
    apiKey: options.config.temporal.apiKey,
  });
  try {
    const client = new Client({ connection, namespace: options.config.temporal.namespace, dataConverter });
    const { count: total } = await client.workflow.count(query);
    // the worker replays one history at a time, in the order given: the runs it reports are these, in order
    const inFlight: WorkflowExecutionInfo[] = [];
    const histories = prefetched(client.workflow.list({ query }), FETCH_CONCURRENCY, async (execution) => ({
      execution,
      history: await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory(),
    }));
    async function* replayable(): AsyncGenerator<{ workflowId: string; history: History }> {
      for await (const { execution, history } of histories) {
        inFlight.push(execution);
        yield { workflowId: execution.workflowId, history };
      }
    }
    const summary: ReplaySummary = { replayed: 0, deterministic: 0, failed: [] };
    for await (const result of Worker.runReplayHistories(
      {
        workflowsPath: options.workflowsPath ?? engineWorkflowsPath,
        interceptors: { workflowModules: workflowInterceptorModules },
        replayName: 'yilian-audit-all',
        dataConverter,
      },
      replayable(),
    )) {
      const execution = inFlight.shift();
      summary.replayed++;
      if (result.error) {
        const kind = result.error instanceof DeterminismViolationError ? 'nondeterminism' : result.error.name;
        summary.failed.push({
          workflowId: result.workflowId,
          runId: execution?.runId ?? result.runId,
          type: execution?.type ?? '?',
          reason: `${kind}: ${result.error.message}`,
        });
      } else summary.deterministic++;
      options.progress?.(summary.replayed, Math.max(total, summary.replayed));
    }
    return summary;
  } finally {
    await connection.close();
  }
}
