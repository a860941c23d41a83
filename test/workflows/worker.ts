import { Worker, type NativeConnection } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { ContentStore } from '../../core/storage/index.js';
import { createStorageActivities } from './storage-activities.js';

/**
 * A worker of the test-only documents workflow (plaintext in, CID out): it shows the activity
 * plumbing and the payload codec on a real server without the engine. The engine's own workers
 * never register it, since nothing plaintext belongs in the content store.
 */
export function createDocumentsWorker(options: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  store: ContentStore;
  dataConverter?: DataConverter;
}): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowsPath: new URL('./index.ts', import.meta.url).pathname,
    activities: createStorageActivities(options.store),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
  });
}
