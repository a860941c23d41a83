import { NativeConnection, Worker } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { availableParallelism } from 'node:os';
import { createStorageActivities } from '../../test/workflows/storage-activities.js';
import type { ContentStore } from '../../core/storage/index.js';
import type { Engine } from '../../activities/engine.js';
import { createRecordActivities } from '../../activities/records/index.js';
import { createIdentityActivities } from '../../activities/identities/activities.js';
import { createTraceActivities } from '../../activities/trace/index.js';

export const workflowsPath = new URL('../../workflows/index.ts', import.meta.url).pathname;

export interface OrchestrationWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  store: ContentStore;
  /** The engine behind the record, identity and trace activities; storage-only workers leave it out. */
  engine?: Engine;
  /** The payload codec (ops/codec) in production; tests of plain workflows may leave it out. */
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
    activities: {
      ...createStorageActivities(options.store),
      ...(engine ? { ...createRecordActivities(engine), ...createIdentityActivities(engine), ...createTraceActivities(engine) } : {}),
    },
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    // I/O-bound activities: a few per core keep the store and chain busy without starving the event loop
    maxConcurrentActivityTaskExecutions: 8 * availableParallelism(),
  });
}
