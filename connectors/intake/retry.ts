/**
 * How long the dispatcher keeps trying to start a job's workflow while Temporal is away: delays
 * double from `firstDelayMs` up to `maxDelayMs`, for as many attempts as it takes to span
 * `windowMs` (about a day by default). The queue is the buffer meanwhile; a job still failing
 * after the window is dead-lettered, where `yilian queue redrive` picks it up again.
 */
export interface RetryPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { firstDelayMs: 1000, maxDelayMs: 10 * 60_000, windowMs: 24 * 3600_000 };

/** The wait after the `attemptsMade`-th failed attempt (1-based). */
export function retryDelay(policy: RetryPolicy, attemptsMade: number): number {
  // capped before exponentiation, so a large attempt count cannot overflow to Infinity
  const doublings = Math.min(Math.max(attemptsMade - 1, 0), 40);
  return Math.min(policy.firstDelayMs * 2 ** doublings, policy.maxDelayMs);
}

/** Attempts (the first included) whose waits together span the window. */
export function retryAttempts(policy: RetryPolicy): number {
  if (!(policy.firstDelayMs > 0 && policy.maxDelayMs >= policy.firstDelayMs))
    throw new Error(`retry policy: delays must be positive and the first at most the cap (${JSON.stringify(policy)})`);
  let waited = 0;
  let attempts = 1;
  while (waited < policy.windowMs) {
    waited += retryDelay(policy, attempts);
    attempts++;
  }
  return attempts;
}
