import {
  proxyActivities,
  workflowInfo,
  type ActivityInterfaceFor,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';

/**
 * Retry policies by kind of work. Transient failures (chain node away, content store busy) retry
 * with backoff for as long as it takes; domain errors are non-retryable at the source
 * (activities/failures.ts), so bad input fails at once.
 */
const backoff = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;
/**
 * Every activity heartbeats every 3 s while it runs (activities/activity-group.ts), so a worker
 * killed mid-activity is noticed after this long and the activity runs again elsewhere.
 */
const heartbeatTimeout = '15 seconds';

/** Chain writes wait for a receipt (up to 2 minutes in the FISCO client). */
export const chainIo: ActivityOptions = { startToCloseTimeout: '3 minutes', heartbeatTimeout, retry: backoff };
/** Local state and quick reads. */
export const quickIo: ActivityOptions = { startToCloseTimeout: '1 minute', heartbeatTimeout, retry: backoff };
/**
 * The engine's own state (enrolment map, prekeys, inboxes), as local activities. Backing off to
 * 10 minutes because running out of prekeys waits for the patient's wallet, which may take days.
 */
export const localState: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { ...backoff, maximumInterval: '10 minutes' },
};
/** CPU-heavy crypto: proving a large batch takes seconds. */
export const nativeCrypto: ActivityOptions = { startToCloseTimeout: '10 minutes', heartbeatTimeout, retry: backoff };

/** Activities of the `yilian-native` queue that pairs with the workflow's own queue. */
export function nativeActivities<T>(options: ActivityOptions = nativeCrypto): ActivityInterfaceFor<T> {
  return proxyActivities<T>({ ...options, taskQueue: nativeQueueOf(workflowInfo().taskQueue) });
}

export const nativeQueueOf = (taskQueue: string): string => `${taskQueue}-native`;
