import { Context } from '@temporalio/activity';
import { asActivityFailure } from './failures.js';

const HEARTBEAT_EVERY_MS = 3_000;

/**
 * Makes a domain's functions into Temporal activities: errors are classified for the retry policy
 * (./failures.ts), and every activity heartbeats while it runs, so a worker killed mid-activity is
 * noticed at the heartbeat timeout (seconds) rather than the start-to-close timeout (minutes).
 * Activities shorter than the interval send no heartbeat at all.
 */
export function activityGroup<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        const context = Context.current();
        // local activities run inside a workflow task and have no heartbeat of their own
        const timer = context.info.isLocal ? undefined : setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
        try {
          return await fn(...args);
        } catch (error) {
          throw asActivityFailure(error);
        } finally {
          clearInterval(timer);
        }
      },
    ]),
  ) as T;
}
