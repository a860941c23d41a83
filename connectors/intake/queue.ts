import { Queue, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { bytesToHex } from '@noble/hashes/utils.js';
import { workflowIdOf } from '../../workflows/starter.js';
import { openIntakeJob, sealIntakeJob, type IntakeKeys } from './sealed-job.js';
import { DEFAULT_RETRY, retryAttempts, type RetryPolicy } from './retry.js';
import type { IntakeWork } from './work.js';

/*
 * The intake queue runs on BullMQ rather than Bull, which the original design named: BullMQ is
 * the same authors' maintained successor (Bull is in maintenance mode and its README points to
 * BullMQ), it ships its own TypeScript types, and it keeps Bull's Redis semantics: atomic Lua
 * scripts, custom job ids, at-least-once processing with lock renewal and stalled-job recovery.
 */

export type EnqueueOutcome = 'queued' | 'duplicate' | 'conflict';

export interface IntakeEntry {
  /** The workflow id the work derives (workflowIdOf): the job id, so a message queued twice is one job. */
  key: string;
  /** sha256 of the exact source bytes: the same key with another digest is a conflict. */
  digest: Uint8Array;
  work: IntakeWork;
  /** Where it came in, e.g. 'mllp': a label in clear, not PHI. */
  channel: string;
  /** ISO time. */
  receivedAt: string;
}

export interface IntakeQueue {
  /**
   * Resolves only once the entry is durable in Redis (with `appendfsync always`: fsync'd), or
   * 'duplicate' (same key and digest: already queued or done — the caller acknowledges again) or
   * 'conflict' (same key, other bytes: the first stands). Rejects when Redis cannot take it.
   */
  enqueue(entry: IntakeEntry): Promise<EnqueueOutcome>;
  /**
   * Where a key's job is, for a connector that reports on what it queued: `dead` is the
   * dead-letter set, with the dispatcher's reason (never the job's content); undefined when no job
   * has the key (never queued, or kept no longer).
   */
  lookup(key: string): Promise<{ state: string; lastError?: string } | undefined>;
  close(): Promise<void>;
}

export interface IntakeQueueOptions {
  redisUrl: string;
  /** The engine's payload-codec keys: job bodies are sealed with them. */
  keys: IntakeKeys;
  /** The engine's task queue; its intake queue is named after it, so engines can share a Redis. */
  taskQueue: string;
  /** How long a finished job is kept to answer a re-sent message with 'duplicate' (default 7 days). */
  keepDays?: number;
  retry?: RetryPolicy;
  /** An enqueue that Redis has not answered by then rejects (default 5 s). */
  commandTimeoutMs?: number;
  /** Connection errors, as they happen (each enqueue meanwhile rejects on its own). */
  onError?: (error: Error) => void;
}

export const INTAKE_PREFIX = 'yilian';
export const DEFAULT_KEEP_DAYS = 7;
/** BullMQ queue names cannot hold ':' */
export const intakeQueueName = (taskQueue: string): string => `intake-${taskQueue.replaceAll(':', '-')}`;

/**
 * Job ids are workflow ids with '%' and ':' percent-encoded: BullMQ refuses ':' in custom ids
 * (it separates the parts of its keys), and the encoding is reversible so `yilian queue` can
 * print and take workflow ids.
 */
export const jobIdOf = (key: string): string => key.replaceAll('%', '%25').replaceAll(':', '%3A');
export const keyOfJobId = (jobId: string): string =>
  jobId.replace(/%3A|%25/g, (escape) => (escape === '%3A' ? ':' : '%'));

/** The workflow id a piece of work runs under, as the starter derives it. */
export const workflowIdOfWork = (work: IntakeWork): string => workflowIdOf(work.workflow, work.input);

/** Backoff type whose delays the dispatcher computes from its RetryPolicy. */
export const BACKOFF_TYPE = 'yilian-intake';

export async function openIntakeQueue(options: IntakeQueueOptions): Promise<IntakeQueue> {
  const keepSeconds = (options.keepDays ?? DEFAULT_KEEP_DAYS) * 24 * 3600;
  const jobOptions: JobsOptions = {
    attempts: retryAttempts(options.retry ?? DEFAULT_RETRY),
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: { age: keepSeconds },
    // the failed set is the dead-letter queue: kept until redriven
    removeOnFail: false,
    stackTraceLimit: 1,
  };
  // no offline queue and no resend: while Redis is away an enqueue fails at once, so the
  // listener answers AR instead of holding the sender; a command lost in a dropped connection
  // is reported failed even if Redis applied it, and the re-sent message is then a duplicate
  const redis = new Redis(options.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 5000,
    lazyConnect: true,
  });
  const onError = options.onError ?? (() => {});
  redis.on('error', onError);
  const queue = new Queue(intakeQueueName(options.taskQueue), { connection: redis, prefix: INTAKE_PREFIX });
  queue.on('error', onError);
  try {
    // BullMQ connects the client, and loads its scripts, here
    await queue.waitUntilReady();
  } catch (error) {
    await queue.close().catch(() => {});
    redis.disconnect();
    throw error;
  }

  const enqueueOnce = async (entry: IntakeEntry): Promise<EnqueueOutcome | 'vanished'> => {
    const labels = { key: entry.key, workflow: entry.work.workflow, channel: entry.channel };
    const data = sealIntakeJob(options.keys, labels, {
      digest: bytesToHex(entry.digest),
      receivedAt: entry.receivedAt,
      work: entry.work,
    });
    const jobId = jobIdOf(entry.key);
    // an existing id leaves the stored job as it is; what add() returns carries our data, so
    // the outcome comes from what Redis holds: our own sealed bytes (a fresh nonce each time)
    // mean this call created the job, which two racing enqueues cannot both see
    await queue.add(entry.work.workflow, data, { ...jobOptions, jobId });
    const [stored, workflow] = await redis.hmget(queue.toKey(jobId), 'data', 'name');
    if (typeof stored !== 'string' || typeof workflow !== 'string') return 'vanished';
    const storedData: unknown = JSON.parse(stored);
    if ((storedData as { sealed?: unknown }).sealed === data.sealed) return 'queued';
    const body = openIntakeJob(options.keys, { key: entry.key, workflow }, storedData);
    return body.digest === bytesToHex(entry.digest) ? 'duplicate' : 'conflict';
  };

  return {
    async enqueue(entry) {
      if (entry.digest.length !== 32) throw new Error(`intake entry ${entry.key}: the digest must be a 32-byte sha256`);
      const derived = workflowIdOfWork(entry.work);
      if (entry.key !== derived)
        throw new Error(`intake entry ${entry.key}: the key must be the workflow id its work derives (${derived})`);
      // a finished job can expire between add() and the read; the next add then queues afresh
      for (let attempt = 0; attempt < 3; attempt++) {
        const outcome = await enqueueOnce(entry);
        if (outcome !== 'vanished') return outcome;
      }
      throw new Error(`intake entry ${entry.key}: the job vanished three times while being queued`);
    },
    async lookup(key) {
      const job = (await queue.getJob(jobIdOf(key))) as Job | undefined;
      if (!job) return undefined;
      const state = await job.getState();
      return {
        state: state === 'failed' ? 'dead' : state,
        ...(job.failedReason ? { lastError: job.failedReason } : {}),
      };
    },
    async close() {
      await queue.close();
      redis.disconnect();
    },
  };
}
