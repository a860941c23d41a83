import { Context } from '@temporalio/activity';

const HEARTBEAT_EVERY_MS = 5_000;

/**
 * Heartbeats while a long native call runs (a batch proof of 1,000 items takes about a second,
 * more on a busy machine), so a killed worker is noticed at the heartbeat timeout instead of the
 * start-to-close timeout.
 */
export async function withHeartbeat<T>(work: Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}
