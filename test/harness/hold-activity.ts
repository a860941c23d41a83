/**
 * Imported first into a worker process by the kill tests (`startWorkerProcess(env, { preload })`):
 * the first attempt of the activity named in KILL_TEST_HOLD_ACTIVITY runs to its end, then a line
 * on stdout says so and its result is held instead of reported. SIGKILL then lands at a known point:
 * the activity's work is done (content stored, transaction committed) and Temporal does not know it.
 */
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/** What the worker prints once it holds the result: the test's cue to kill it. */
export const HELD = (activityType: string) => `yilian-test: holding the result of ${activityType}`;

/** This module's path, for `preload`. */
export const holdActivity = new URL(import.meta.url).pathname;

// unset where a test imports HELD: only the worker process it starts holds anything
const held = process.env.KILL_TEST_HOLD_ACTIVITY;
if (held) {
  const hold: ActivityInterceptorsFactory = (context) => ({
    inbound: {
      async execute(input, next) {
        const result = await next(input);
        if (context.info.activityType !== held || context.info.attempt > 1) return result;
        process.stdout.write(`${HELD(held)}\n`);
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
