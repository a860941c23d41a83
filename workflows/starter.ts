import { randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Payload, Workflow } from '@temporalio/common';
import { anchorMessagesSignal, type BatchMessage } from './anchor-batch.js';
import {
  anchorBatch,
  anchorRecord,
  enrolPatient,
  grantAccess,
  mergePatients,
  publishPrekeys,
  registerIdentity,
  revokeIdentity,
  traceEvent,
  traceQuery,
  traceStep,
} from './index.js';
import {
  anchorBatchWorkflowId,
  enrolmentWorkflowId,
  grantWorkflowId,
  identityWorkflowId,
  localIdentityWorkflowId,
  prekeysWorkflowId,
  revocationWorkflowId,
  sourceWorkflowId,
  traceQueryWorkflowId,
} from './ids.js';

/**
 * Each workflow with the id its input derives: the pairing that makes a re-sent message, a retried
 * CLI command or a double-clicked grant one run. Every caller starts workflows through
 * {@link workflowStarter}, never by hand.
 */
const routes = {
  registerIdentity: {
    workflow: registerIdentity,
    id: (input: Parameters<typeof registerIdentity>[0]) =>
      input.identity ? identityWorkflowId(input.identity.address) : localIdentityWorkflowId(input.name),
  },
  revokeIdentity: {
    workflow: revokeIdentity,
    id: (input: Parameters<typeof revokeIdentity>[0]) => revocationWorkflowId(input.account),
  },
  enrolPatient: {
    workflow: enrolPatient,
    id: (input: Parameters<typeof enrolPatient>[0]) => enrolmentWorkflowId(input.account, input.patient.authority),
  },
  publishPrekeys: {
    workflow: publishPrekeys,
    id: (input: Parameters<typeof publishPrekeys>[0]) => prekeysWorkflowId(input.owner, input.bundle),
  },
  anchorRecord: {
    workflow: anchorRecord,
    id: (input: Parameters<typeof anchorRecord>[0]) => sourceWorkflowId(input.source),
  },
  mergePatients: {
    workflow: mergePatients,
    id: (input: Parameters<typeof mergePatients>[0]) => sourceWorkflowId(input.source),
  },
  grantAccess: {
    workflow: grantAccess,
    id: (input: Parameters<typeof grantAccess>[0]) => grantWorkflowId(input.recordId, input.granteeKey),
  },
  traceStep: {
    workflow: traceStep,
    id: (input: Parameters<typeof traceStep>[0]) => sourceWorkflowId(input.source),
  },
  traceEvent: {
    workflow: traceEvent,
    id: (input: Parameters<typeof traceEvent>[0]) => sourceWorkflowId(input.source),
  },
  traceQuery: {
    workflow: traceQuery,
    // the code is a secret and never part of an id: every query is a run of its own
    id: () => traceQueryWorkflowId(randomUUID()),
  },
} as const;

type Routes = typeof routes;
export type WorkflowName = keyof Routes;
type WorkflowOf<N extends WorkflowName> = Routes[N]['workflow'];
export type WorkflowInput<N extends WorkflowName> = Parameters<WorkflowOf<N>>[0];
type ResultOf<N extends WorkflowName> = Awaited<ReturnType<WorkflowOf<N>>>;

export interface WorkflowStarter {
  /** Starts (or joins) the workflow for this input and returns its handle. */
  start: { [N in WorkflowName]: (input: WorkflowInput<N>) => Promise<WorkflowHandle<WorkflowOf<N>>> };
  /** Starts (or joins) it and waits for its result. */
  execute: { [N in WorkflowName]: (input: WorkflowInput<N>) => Promise<ResultOf<N>> };
  /** The id a workflow of this input runs under, to find it again (signals, queries, audit). */
  workflowId: { [N in WorkflowName]: (input: WorkflowInput<N>) => string };
}

/** The one way to start Yilian's workflows: on `client`, on the engine's `taskQueue`. */
export function workflowStarter(client: Client, taskQueue: string): WorkflowStarter {
  const names = Object.keys(routes) as WorkflowName[];
  const table = <T>(make: (name: WorkflowName) => T) => Object.fromEntries(names.map((name) => [name, make(name)]));
  const start = (name: WorkflowName) => (input: never) => {
    const route = routes[name] as { workflow: Workflow; id: (input: never) => string };
    return startOnce(client, route.workflow, { workflowId: route.id(input), taskQueue, args: [input] });
  };
  return {
    start: table(start) as WorkflowStarter['start'],
    execute: table(
      (name) =>
        async (input: never): Promise<unknown> =>
          (await start(name)(input)).result() as Promise<unknown>,
    ) as WorkflowStarter['execute'],
    workflowId: table((name) => (input: never) => workflowIdOf(name, input)) as WorkflowStarter['workflowId'],
  };
}

/**
 * The id a workflow of this input runs under, without a client: what a connector keys its queued
 * work by, so the queue and Temporal agree on what "the same message" is.
 */
export function workflowIdOf<N extends WorkflowName>(name: N, input: WorkflowInput<N>): string {
  return (routes[name] as { id: (input: WorkflowInput<N>) => string }).id(input);
}

export const isWorkflowName = (name: string): name is WorkflowName => Object.hasOwn(routes, name);

/**
 * Starts a workflow under an id derived from its source, or returns the run that id already has:
 * a running one is joined (USE_EXISTING), a finished one is never started again
 * (REJECT_DUPLICATE), so a re-sent message cannot anchor twice. A running run the engine did not
 * start — someone without the codec key started the id first, and the run idles
 * (workflows/interceptors.ts) — is replaced, so nobody can capture a message's run by guessing
 * its id.
 */
async function startOnce<W extends Workflow>(
  client: Client,
  workflow: W,
  options: { workflowId: string; taskQueue: string; args: unknown[] },
): Promise<WorkflowHandle<W>> {
  const joined = await startOrJoin(client, workflow, options, 'join');
  if (joined === 'closed') return client.workflow.getHandle<W>(options.workflowId);
  if (await startedByTheEngine(client, joined.workflowId, joined.firstExecutionRunId)) return joined;
  const replaced = await startOrJoin(client, workflow, options, 'replace');
  return replaced === 'closed' ? client.workflow.getHandle<W>(options.workflowId) : replaced;
}

async function startOrJoin<W extends Workflow>(
  client: Client,
  workflow: W,
  options: { workflowId: string; taskQueue: string; args: unknown[] },
  conflict: 'join' | 'replace',
): Promise<WorkflowHandleWithFirstExecutionRunId<W> | 'closed'> {
  // the SDK's conditional args type does not narrow for a generic W
  const startOptions = {
    ...options,
    // joining: a finished run is never started again. Replacing a foreign running run: the server
    // refuses REJECT_DUPLICATE with TERMINATE_EXISTING, and a run of ours that completed meanwhile
    // must still stand, so only a failed or terminated one may be followed
    ...(conflict === 'join'
      ? { workflowIdReusePolicy: 'REJECT_DUPLICATE', workflowIdConflictPolicy: 'USE_EXISTING' }
      : { workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY', workflowIdConflictPolicy: 'TERMINATE_EXISTING' }),
  } as unknown as WorkflowStartOptions<W>;
  try {
    return await client.workflow.start(workflow, startOptions);
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return 'closed';
  }
}

/**
 * Whether a run's start input opens under this client's payload codec, i.e. an engine holding the
 * codec key started it. A client without a codec (histories captured in the clear) cannot tell and
 * trusts the run.
 */
async function startedByTheEngine(client: Client, workflowId: string, runId: string): Promise<boolean> {
  if (client.options.loadedDataConverter.payloadCodecs.length === 0) return true;
  const { history } = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  try {
    await decodePayloads(client, history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? []);
    return true;
  } catch {
    return false;
  }
}

/**
 * A history's payloads as this client's codecs open them (the last codec to encode decodes first),
 * for reading histories outside a worker; throws when a codec cannot open them.
 */
export async function decodePayloads(client: Client, payloads: Payload[]): Promise<Payload[]> {
  let decoded = payloads;
  for (const codec of [...client.options.loadedDataConverter.payloadCodecs].reverse())
    decoded = await codec.decode(decoded);
  return decoded;
}

/**
 * Hands messages to the batch execution of their author and shard, starting it when none runs
 * (signal-with-start): once this returns, Temporal holds them durably in that run's history. A
 * finished execution's id is used again (a batch run ends when idle): what makes a message
 * anchored once is its claim in the engine's state, not the id. A run the engine did not start
 * (someone without the codec key took the id first) would idle with the messages
 * (workflows/interceptors.ts), so it is ended and the messages are sent again, to a run of ours.
 */
export async function sendToAnchorBatch(
  client: Client,
  taskQueue: string,
  batch: { author: string; shard: number; messages: BatchMessage[] },
): Promise<void> {
  const workflowId = anchorBatchWorkflowId(batch.author, batch.shard);
  for (let attempt = 0; attempt < 3; attempt++) {
    const handle = await client.workflow.signalWithStart(anchorBatch, {
      workflowId,
      taskQueue,
      args: [{ author: batch.author }],
      signal: anchorMessagesSignal,
      signalArgs: [batch.messages],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    if (await startedByTheEngine(client, workflowId, handle.signaledRunId)) return;
    await client.workflow
      .getHandle(workflowId, handle.signaledRunId)
      .terminate('started without the engine’s codec key: replaced by a run of the engine')
      .catch((error: unknown) => {
        // it may have ended meanwhile; the next round looks again
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      });
  }
  throw new Error(`${workflowId}: runs the engine did not start took the id three times in a row`);
}
