import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { openIntakeJob, type IntakeJobBody, type IntakeKeys, type SealedJobData } from './sealed-job.js';
import { INTAKE_PREFIX, intakeQueueName, jobIdOf, keyOfJobId } from './queue.js';

/** A job's states as operators name them; `dead` is BullMQ's failed set, the dead-letter queue. */
export const INTAKE_STATES = ['waiting', 'active', 'delayed', 'completed', 'dead'] as const;
export type IntakeState = (typeof INTAKE_STATES)[number];

const bullState = (state: IntakeState) => (state === 'dead' ? 'failed' : state);

/** What `yilian queue list|show` prints of a job: labels, counters and times, never its body. */
export interface IntakeJobInfo {
  key: string;
  workflow: string;
  channel: string;
  state: IntakeState | 'unknown';
  attempts: number;
  maxAttempts: number;
  lastError?: string;
  queuedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** When a delayed job is tried next. */
  retryAt?: string;
  keyId: string;
}

export interface IntakeAdmin {
  stats(): Promise<Record<IntakeState, number>>;
  list(state: IntakeState, limit: number): Promise<IntakeJobInfo[]>;
  show(key: string): Promise<IntakeJobInfo | undefined>;
  /** The opened body: PHI, for `show --body` only. */
  body(key: string): Promise<IntakeJobBody>;
  /** Puts a dead-lettered job back in the queue, its attempts counted afresh. */
  redrive(key: string): Promise<void>;
  /** Every dead-lettered job; returns how many. */
  redriveAll(): Promise<number>;
  close(): Promise<void>;
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);

export async function openIntakeAdmin(options: {
  redisUrl: string;
  keys: IntakeKeys;
  taskQueue: string;
}): Promise<IntakeAdmin> {
  const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', () => {}); // each failed command carries it
  const queue = new Queue(intakeQueueName(options.taskQueue), { connection: redis, prefix: INTAKE_PREFIX });
  queue.on('error', () => {});
  await queue.waitUntilReady();

  const info = async (job: Job<SealedJobData>, known?: string): Promise<IntakeJobInfo> => {
    const state = known ?? (await job.getState());
    const shown = state === 'failed' ? 'dead' : state;
    return {
      key: keyOfJobId(job.id ?? ''),
      workflow: job.name,
      channel: job.data.channel,
      state: (INTAKE_STATES as readonly string[]).includes(shown) ? (shown as IntakeState) : 'unknown',
      attempts: job.attemptsMade,
      maxAttempts: job.opts.attempts ?? 1,
      ...(job.failedReason ? { lastError: job.failedReason } : {}),
      queuedAt: iso(job.timestamp) as string,
      ...(job.processedOn ? { startedAt: iso(job.processedOn) } : {}),
      ...(job.finishedOn ? { finishedAt: iso(job.finishedOn) } : {}),
      ...(state === 'delayed' ? { retryAt: iso(job.timestamp + job.delay) } : {}),
      keyId: job.data.keyId,
    };
  };
  const find = async (key: string): Promise<Job<SealedJobData>> => {
    const job = (await queue.getJob(jobIdOf(key))) as Job<SealedJobData> | undefined;
    if (!job)
      throw new Error(`no intake job ${key} (it was never queued, or it finished longer ago than the retention)`);
    return job;
  };
  const redriveJob = (job: Job) => job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });

  return {
    async stats() {
      const counts = await queue.getJobCounts(...INTAKE_STATES.map(bullState));
      return Object.fromEntries(INTAKE_STATES.map((state) => [state, counts[bullState(state)] ?? 0])) as Record<
        IntakeState,
        number
      >;
    },
    async list(state, limit) {
      const jobs = (await queue.getJobs(bullState(state), 0, limit - 1, true)) as Array<Job<SealedJobData>>;
      return Promise.all(jobs.map((job) => info(job, bullState(state))));
    },
    async show(key) {
      const job = (await queue.getJob(jobIdOf(key))) as Job<SealedJobData> | undefined;
      return job ? info(job) : undefined;
    },
    async body(key) {
      const job = await find(key);
      return openIntakeJob(options.keys, { key, workflow: job.name }, job.data);
    },
    async redrive(key) {
      const job = await find(key);
      const state = await job.getState();
      if (state !== 'failed') throw new Error(`intake job ${key} is ${state}, not dead-lettered: nothing to redrive`);
      await redriveJob(job);
    },
    async redriveAll() {
      let count = 0;
      for (;;) {
        const page = await queue.getJobs('failed', 0, 99, true);
        if (page.length === 0) return count;
        for (const job of page) await redriveJob(job);
        count += page.length;
      }
    },
    async close() {
      await queue.close();
      redis.disconnect();
    },
  };
}
