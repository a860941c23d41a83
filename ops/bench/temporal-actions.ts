/**
 * Temporal Cloud's billable actions, counted from workflow histories: what a Temporal cluster's
 * load and Temporal Cloud's price scale with. The rules are Temporal Cloud's
 * (docs.temporal.io/cloud/actions): a workflow start (client, continue-as-new, signal-with-start)
 * is one; a child workflow's start is two, billed on the parent; each activity scheduled and each
 * retry of it is one; all local activities (and other markers) of one workflow task are one,
 * whatever attempts they took inside it, and each later attempt the SDK reports in the task's
 * metering metadata (those after a workflow-task heartbeat) is one; each timer, signal received, accepted update,
 * search-attribute upsert, options update, Nexus operation and reset is one.
 *
 * What a history cannot show is left out: queries (each one IS billed, none is in a history),
 * rejected updates, activity heartbeats and workflow-task heartbeats. A signal sent to another
 * workflow is billed in the receiver's history, where it is counted.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

export const ACTION_KINDS = [
  'workflow start',
  'child workflow',
  'activity',
  'activity retry',
  'local activities',
  'timer',
  'signal',
  'update',
  'search attributes',
  'other',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];
export type ActionCount = Record<ActionKind, number>;

export const noActions = (): ActionCount => Object.fromEntries(ACTION_KINDS.map((kind) => [kind, 0])) as ActionCount;

export const totalActions = (count: ActionCount): number => ACTION_KINDS.reduce((sum, kind) => sum + count[kind], 0);

export function addActions(into: ActionCount, more: ActionCount): ActionCount {
  for (const kind of ACTION_KINDS) into[kind] += more[kind];
  return into;
}

/** Temporal's versioning marker search attribute: exempt from billing. */
const CHANGE_VERSION = 'TemporalChangeVersion';

/** The billable actions one run's history shows. */
export function billableActions(history: History): ActionCount {
  const count = noActions();
  const events = history.events ?? [];
  /** Workflow tasks that recorded a marker: all of one task's markers are one action. */
  const markerTasks = new Set<string>();
  for (const [i, event] of events.entries()) {
    if (event.workflowExecutionStartedEventAttributes) {
      // a child's start is billed on its parent, as the child's initiation
      if (!event.workflowExecutionStartedEventAttributes.parentWorkflowExecution) count['workflow start']++;
    } else if (event.startChildWorkflowExecutionInitiatedEventAttributes) {
      count['child workflow'] += 2;
    } else if (event.activityTaskScheduledEventAttributes) {
      count.activity++;
    } else if (event.activityTaskStartedEventAttributes) {
      // intermediate attempts leave no event: the started event carries the attempt that completed
      count['activity retry'] += Math.max(0, (event.activityTaskStartedEventAttributes.attempt ?? 1) - 1);
    } else if (event.markerRecordedEventAttributes) {
      markerTasks.add(String(event.markerRecordedEventAttributes.workflowTaskCompletedEventId));
    } else if (event.workflowTaskCompletedEventAttributes) {
      count['local activities'] +=
        event.workflowTaskCompletedEventAttributes.meteringMetadata?.nonfirstLocalActivityExecutionAttempts ?? 0;
    } else if (event.timerStartedEventAttributes) {
      count.timer++;
    } else if (event.workflowExecutionSignaledEventAttributes) {
      // a signal written right behind the start came with it (signal-with-start): one action for both
      const withStart = i === 1 && Boolean(events[0]?.workflowExecutionStartedEventAttributes);
      if (!withStart) count.signal++;
    } else if (event.workflowExecutionUpdateAcceptedEventAttributes) {
      count.update++;
    } else if (event.upsertWorkflowSearchAttributesEventAttributes) {
      const fields = Object.keys(
        event.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields ?? {},
      );
      if (fields.some((name) => name !== CHANGE_VERSION)) count['search attributes']++;
    } else if (
      event.workflowExecutionOptionsUpdatedEventAttributes ||
      event.nexusOperationScheduledEventAttributes ||
      event.nexusOperationCancelRequestedEventAttributes ||
      isReset(event)
    ) {
      count.other++;
    }
  }
  count['local activities'] += markerTasks.size;
  return count;
}

function isReset(event: temporal.api.history.v1.IHistoryEvent): boolean {
  // WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW (proto enum value 17); the JSON form spells it out
  const cause = event.workflowTaskFailedEventAttributes?.cause as unknown;
  return cause === 17 || cause === 'WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW';
}

/**
 * The billable actions of a workflow id: its latest run and every run it continued from
 * (continue-as-new), each fetched through the client.
 */
export async function workflowActions(client: Client, workflowId: string): Promise<ActionCount> {
  const count = noActions();
  for (const history of await runHistories(client, workflowId)) addActions(count, billableActions(history));
  return count;
}

/** The histories of a workflow id's latest run and of every run it continued from (continue-as-new), latest first. */
export async function runHistories(client: Client, workflowId: string): Promise<temporal.api.history.v1.IHistory[]> {
  const histories: temporal.api.history.v1.IHistory[] = [];
  for (let runId: string | undefined; ;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    histories.push(history);
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    if (!runId) return histories;
  }
}

/** The actions of many workflow ids, fetched a few at a time so the server is not flooded. */
export async function actionsOfWorkflows(client: Client, workflowIds: readonly string[]): Promise<ActionCount> {
  const count = noActions();
  const queue = [...workflowIds];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift())
        addActions(count, await workflowActions(client, id));
    }),
  );
  return count;
}

/** One line: the total per `per` (records, say) and its breakdown: `5.00 (workflow start 1.00, activity 2.00, …)`. */
export function describeActions(count: ActionCount, per: number): string {
  const f = (n: number) => (n / per).toFixed(2);
  const parts = ACTION_KINDS.filter((kind) => count[kind] > 0).map((kind) => `${kind} ${f(count[kind])}`);
  return `${f(totalActions(count))} (${parts.join(', ')})`;
}
