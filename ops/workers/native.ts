import { type NativeConnection, Worker } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { availableParallelism } from 'node:os';
import type { ContentStore } from '../../core/storage/index.js';
import type { EngineKeyring } from '../../activities/state/index.js';
import { createRecordNativeActivities } from '../../activities/records/index.js';
import { createTraceNativeActivities } from '../../activities/trace/index.js';

export interface NativeWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** `<orchestration queue>-native`, i.e. `yilian-native` by default (workflows/activity-options.ts). */
  taskQueue: string;
  store: ContentStore;
  keyring: EngineKeyring;
  dataConverter?: DataConverter;
}

/**
 * The worker of the `yilian-native` task queue: STARK proving and PRE. Proving runs on native
 * threads, but record sealing also waits on the content store's fsync, so a few activities per
 * core keep the cores busy; it runs no workflows and can be scaled out on machines of its own.
 */
export function createNativeWorker(options: NativeWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: {
      ...createRecordNativeActivities({ store: options.store, keyring: options.keyring }),
      ...createTraceNativeActivities({ keyring: options.keyring, store: options.store }),
    },
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    maxConcurrentActivityTaskExecutions: 4 * availableParallelism(),
  });
}
