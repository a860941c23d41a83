import { type NativeConnection, Worker } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { availableParallelism } from 'node:os';
import type { Engine } from '../../activities/engine.js';
import { createIdentityActivities } from '../../activities/identities/index.js';
import { createInboxActivities } from '../../activities/inbox/index.js';
import { createPatientActivities } from '../../activities/patients/index.js';
import { createRecordActivities } from '../../activities/records/index.js';
import { createTraceActivities } from '../../activities/trace/index.js';

export const workflowsPath = new URL('../../workflows/index.ts', import.meta.url).pathname;
/** Every worker and replayer of the engine's workflows runs them behind these (workflows/interceptors.ts). */
export const workflowInterceptorModules = [new URL('../../workflows/interceptors.ts', import.meta.url).pathname];

export interface OrchestrationWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  engine: Engine;
  /** The payload codec (ops/codec) in production. */
  dataConverter?: DataConverter;
}

/** The worker of the `yilian` task queue: every workflow, and the I/O activities (chain, store, state). */
export function createOrchestrationWorker(options: OrchestrationWorkerOptions): Promise<Worker> {
  const { engine } = options;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowsPath,
    interceptors: { workflowModules: workflowInterceptorModules },
    activities: {
      ...createIdentityActivities(engine),
      ...createPatientActivities(engine),
      ...createRecordActivities(engine),
      ...createInboxActivities(engine),
      ...createTraceActivities(engine),
    },
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    // I/O-bound activities: a few per core keep the store and chain busy without starving the event loop
    maxConcurrentActivityTaskExecutions: 8 * availableParallelism(),
  });
}
