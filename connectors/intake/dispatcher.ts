import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { isGrpcServiceError, ServiceError, type Client } from '@temporalio/client';
import { ValueError } from '@temporalio/common';
import { sendToAnchorBatch, workflowStarter, type WorkflowInput, type WorkflowName } from '../../workflows/starter.js';
import { anchorBatchWorkflowId } from '../../workflows/ids.js';
import { AnchorGroups, type Grouping } from './anchor-groups.js';
import { IntakeJobError, openIntakeJob, type IntakeKeys, type SealedJobData } from './sealed-job.js';
import { INTAKE_PREFIX, intakeQueueName, keyOfJobId, workflowIdOfWork } from './queue.js';
import { DEFAULT_RETRY, retryDelay, type RetryPolicy } from './retry.js';

export interface DispatcherOptions {
  redisUrl: string;
  keys: IntakeKeys;
  /** A Temporal client with the engine's payload codec. */
  client: Client;
  taskQueue: string;
  /** Jobs started at once (default 16). */
  concurrency?: number;
  /**
   * Records to anchor go to batch executions (`anchorBatch`), grouped; without it each message
   * starts an `anchorRecord` run of its own.
   */
  grouping?: Grouping;
  retry?: RetryPolicy;
  /** How long one start, or one group's signal, may take before it counts as failed and is retried (default 10 s). */
  startTimeoutMs?: number;
  /** A job whose dispatcher stops renewing this lock (it died) runs again elsewhere (default 30 s). */
  lockDurationMs?: number;
  /** Dead-lettered jobs (with the job's id) and connection errors; never a job's content. */
  log?: (line: string, fields?: { jobId: string }) => void;
}

export interface Dispatcher {
  /** Stops taking jobs and waits for the ones under way. */
  close(): Promise<void>;
  /** Settles once closed. */
  readonly closed: Promise<void>;
}

/**
 * Takes intake jobs and starts each one's workflow through the typed starter, with the id its
 * input derives, and does not wait for the run: an anchorRecord may wait months for its patient.
 * With `grouping`, a record to anchor is instead sent, in a group of its author's messages, to a
 * batch execution (`sendToAnchorBatch`); its job completes once the group's signal was accepted,
 * and a copy of it sent again is dropped by the batch run or its claim (docs/design.md §
 * Anchoring in batches).
 * BullMQ is at-least-once (a dispatcher that dies mid-job has the job run again by another), and
 * a job run twice starts one workflow because the starter joins or refuses a second start of the
 * same id — so any number of dispatchers, on any hosts, may serve one Redis.
 *
 * Temporal away or slow: the job fails and is retried with capped exponential backoff for about a
 * day while the intake keeps queuing. A job that can never start is dead-lettered at once — the
 * failed set, where it keeps its id (so a re-sent message is still answered 'duplicate' and
 * `redrive` puts the same job back) and stays out of the way of the jobs behind it.
 */
export function startDispatcher(options: DispatcherOptions): Dispatcher {
  const starter = workflowStarter(options.client, options.taskQueue);
  const policy = options.retry ?? DEFAULT_RETRY;
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const log = options.log ?? (() => {});
  const { grouping } = options;
  const groups =
    grouping &&
    new AnchorGroups(
      grouping,
      async (author, shard, messages) => {
        try {
          await options.client.withDeadline(Date.now() + startTimeoutMs, () =>
            sendToAnchorBatch(options.client, options.taskQueue, { author, shard, messages }),
          );
        } catch (error) {
          throw startFailure(
            error,
            `sending ${messages.length} to anchorBatch ${anchorBatchWorkflowId(author, shard)}`,
          );
        }
      },
      (error) => error instanceof UnrecoverableError,
    );

  const dispatch = async (job: Job<SealedJobData>): Promise<void> => {
    const key = keyOfJobId(job.id ?? '');
    let work;
    try {
      ({ work } = openIntakeJob(options.keys, { key, workflow: job.name }, job.data));
    } catch (error) {
      if (error instanceof IntakeJobError) throw new UnrecoverableError(error.message);
      throw error;
    }
    const derived = workflowIdOfWork(work);
    if (derived !== key) throw new UnrecoverableError(`job ${key}: its work derives another workflow id, ${derived}`);
    if (groups && work.workflow === 'anchorRecord') {
      const { author, ...message } = work.input;
      await groups.add(author, key, message);
      return;
    }
    const start = starter.start[work.workflow] as (input: WorkflowInput<WorkflowName>) => Promise<unknown>;
    try {
      await options.client.withDeadline(Date.now() + startTimeoutMs, () => start(work.input));
    } catch (error) {
      throw startFailure(error, `starting ${work.workflow} ${key}`);
    }
  };

  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker<SealedJobData>(intakeQueueName(options.taskQueue), dispatch, {
    connection,
    prefix: INTAKE_PREFIX,
    // grouped jobs wait in memory for their group's signal: room for a full group per shard, twice
    // (one filling while the one before is sent), beside the starts
    concurrency: (options.concurrency ?? 16) + (grouping ? 2 * grouping.maxMessages * grouping.shards : 0),
    lockDuration: options.lockDurationMs ?? 30_000,
    // a job is re-run after each dispatcher death, as a start is idempotent; one that keeps
    // killing its dispatcher is dead-lettered
    maxStalledCount: 5,
    settings: { backoffStrategy: (attemptsMade) => retryDelay(policy, attemptsMade) },
  });
  let lastError = '';
  const onError = (error: Error) => {
    // a Redis outage repeats its error on every reconnect attempt: say it once
    if (error.message !== lastError) log(`dispatcher: ${error.message}`);
    lastError = error.message;
  };
  connection.on('error', onError);
  worker.on('error', onError);
  worker.on('ready', () => (lastError = ''));
  worker.on('failed', (job, error) => {
    if (!job) return;
    const dead = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    const key = keyOfJobId(job.id ?? '');
    if (dead) log(`dispatcher: job ${key} dead-lettered: ${error.message}`, { jobId: key });
  });
  let markClosed = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  return {
    closed,
    async close() {
      await worker.close();
      connection.disconnect();
      markClosed();
    },
  };
}

/**
 * The error a job records when its start failed: permanent (dead-lettered at once) only when
 * trying again cannot help — Temporal refused the request itself (INVALID_ARGUMENT: an id or a
 * payload over its limits) or the input cannot be serialized. Everything else (Temporal
 * unreachable, overloaded, a deadline, a namespace or permission still being set up) is retried.
 * Its message is ours or Temporal's (which sees ids and ciphertext only), never an echo of the
 * input: it is stored in Redis and printed by `yilian queue list`.
 */
/** gRPC status codes by number (fixed by the gRPC spec), to name them in job errors. */
const GRPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

function startFailure(error: unknown, doing: string): Error {
  const cause = error instanceof ServiceError ? error.cause : error;
  if (isGrpcServiceError(cause)) {
    const code = GRPC_CODES[cause.code] ?? String(cause.code);
    const message = `${doing}: Temporal ${code}: ${cause.details}`;
    return code === 'INVALID_ARGUMENT' ? new UnrecoverableError(message) : new Error(message);
  }
  if (error instanceof ValueError)
    return new UnrecoverableError(`${doing}: the input cannot be serialized (${error.name})`);
  const name = error instanceof Error ? error.name : typeof error;
  return new Error(`${doing}: ${name} (its message is not kept: it may quote the input)`);
}
