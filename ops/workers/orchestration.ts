import { NativeConnection, Worker } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { availableParallelism } from 'node:os';
import { createStorageActivities } from '../../activities/storage/activities.js';
import type { ContentStore } from '../../activities/storage/index.js';

export const workflowsPath = new URL('../../workflows/index.ts', import.meta.url).pathname;

export interface OrchestrationWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  store: ContentStore;
  /** The payload codec (ops/codec) in production; tests of plain workflows may leave it out. */
  dataConverter?: DataConverter;
}

/** The worker of the `yilian` task queue: orchestration workflows and I/O activities. */
export function createOrchestrationWorker(options: OrchestrationWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowsPath,
    activities: createStorageActivities(options.store),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    // I/O-bound activities: a few per core keep the store and chain busy without starving the event loop
    maxConcurrentActivityTaskExecutions: 8 * availableParallelism(),
  });
}
