/**
 * Imported first into a worker process by the kill tests (`startWorkerProcess(env, { preload })`):
 * the first attempt of each activity named in KILL_TEST_HOLD (`<activity type>@<workflow id>`, comma
 * separated; local activities too) runs to its end, then a line on stdout says so and its result is
 * held instead of reported. SIGKILL then lands at a known point: the activity's work is done
 * (claims written, content stored, transaction committed, items delivered) and Temporal does not know it.
 * KILL_TEST_FAIL names activities likewise whose first attempt, its work done, fails for good instead.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

export interface HeldActivity {
  activityType: string;
  workflowId: string;
}

/** KILL_TEST_HOLD's value for these activities. */
export const holdSetting = (held: readonly HeldActivity[]) =>
  held.map(({ activityType, workflowId }) => `${activityType}@${workflowId}`).join(',');

/** What the worker prints once it holds a result: the test's cue to kill it. */
export const HELD = ({ activityType, workflowId }: HeldActivity) =>
  `yilian-test: holding the result of ${activityType} in ${workflowId}`;

/**
 * What the worker prints once an activity of KILL_TEST_FAIL (same form) finished its first attempt
 * and reported a non-retryable failure instead: its work done, its workflow failed for good.
 */
export const FAILED = ({ activityType, workflowId }: HeldActivity) =>
  `yilian-test: failing ${activityType} in ${workflowId} for good after its work`;

/** This module's path, for `preload`. */
export const holdActivity = new URL(import.meta.url).pathname;

// unset where a test imports HELD: only the worker process it starts holds anything
const held = new Set(process.env.KILL_TEST_HOLD?.split(',') ?? []);
const failed = new Set(process.env.KILL_TEST_FAIL?.split(',') ?? []);
if (held.size + failed.size > 0) {
  const hold: ActivityInterceptorsFactory = (context) => ({
    inbound: {
      async execute(input, next) {
        const result = await next(input);
        const { activityType, attempt, workflowExecution } = context.info;
        const activity = { activityType, workflowId: workflowExecution?.workflowId ?? '' };
        if (attempt > 1) return result;
        if (failed.has(holdSetting([activity]))) {
          process.stdout.write(`${FAILED(activity)}\n`);
          throw ApplicationFailure.nonRetryable(
            `planted by the test after ${activityType} did its work`,
            'PlantedFault',
          );
        }
        if (!held.has(holdSetting([activity]))) return result;
        process.stdout.write(`${HELD(activity)}\n`);
        return new Promise<never>(() => undefined);
      },
    },
  });
  // every worker of the process is made by Worker.create (ops/workers/native.ts, orchestration.ts)
  const create = Worker.create.bind(Worker);
  Worker.create = (options: WorkerOptions) =>
    create({
      ...options,
      interceptors: { ...options.interceptors, activity: [...(options.interceptors?.activity ?? []), hold] },
    });
}
