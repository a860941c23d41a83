import { proxyActivities } from '@temporalio/workflow';
import type { TraceActivities } from '../activities/trace/index.js';
import { quickIo } from './activity-options.js';

const { queryTrace } = proxyActivities<TraceActivities>(quickIo);

/**
 * A package's full history for a holder of its trace code (a regulator's engine, say): decrypted,
 * every signature verified against the Directory. The code travels only inside encrypted payloads.
 */
export async function traceQuery(code: string): ReturnType<TraceActivities['queryTrace']> {
  return queryTrace(code);
}
