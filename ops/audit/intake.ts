import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Period } from '../../core/audit/period.js';
import type { IntakeDeadLetters } from '../../core/audit/report.js';
import { INTAKE_PREFIX, intakeQueueName } from '../../connectors/intake/queue.js';

/** Dead letters read per request, and at most in all: operators redrive or clear them, so the set stays small. */
const PAGE = 1_000;
const MAX_DEAD_LETTERS = 100_000;

/**
 * Intake jobs dead-lettered (BullMQ's failed set) in the period, with the workflow each was to
 * start: messages an HIS or ERP handed over that never became a workflow. Only names and times are read, never a
 * job's body. Undefined when the intake's Redis does not answer (a CLI away from the engine's host,
 * an embedded stack that is not running).
 */
export async function intakeDeadLetters(
  redisUrl: string,
  taskQueue: string,
  period: Period,
): Promise<IntakeDeadLetters | undefined> {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: 3_000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => {}); // a Redis that does not answer is an answer here: no intake to count
  try {
    await redis.connect();
  } catch {
    redis.disconnect();
    return undefined;
  }
  const queue = new Queue(intakeQueueName(taskQueue), { connection: redis, prefix: INTAKE_PREFIX });
  queue.on('error', () => {});
  try {
    const [from, to] = [period.from.getTime(), period.to.getTime()];
    const letters: IntakeDeadLetters['letters'] = [];
    for (let start = 0; start < MAX_DEAD_LETTERS; start += PAGE) {
      const jobs = await queue.getJobs('failed', start, start + PAGE - 1, true);
      for (const job of jobs)
        if (job.finishedOn !== undefined && job.finishedOn >= from && job.finishedOn <= to)
          letters.push({ workflowType: job.name, time: new Date(job.finishedOn) });
      if (jobs.length < PAGE) return { letters, truncated: false };
    }
    return { letters, truncated: true };
  } finally {
    await queue.close();
    redis.disconnect();
  }
}
