/**
 * Bench-only workflows (`npm run bench:flows`): Temporal's own ceiling on this machine, one
 * workflow that calls one activity that does nothing. Never registered by the engine's workers.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface NoopActivities {
  noop(): Promise<void>;
}

// the same start-to-close bound as the engine's quick activities (workflows/activity-options.ts)
const { noop } = proxyActivities<NoopActivities>({ startToCloseTimeout: '1 minute' });

export async function noopWorkflow(): Promise<void> {
  await noop();
}
