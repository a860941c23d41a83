import { type NativeConnection, Worker } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { availableParallelism } from 'node:os';
import type { ContentStore } from '../../core/storage/index.js';
import type { EngineKeyring } from '../../activities/state/index.js';
import { createRecordNativeActivities } from '../../activities/records/index.js';
import { createTraceNativeActivities } from '../../activities/trace/index.js';
import { activityTimings, cryptoTimer } from '../telemetry/instruments.js';
import { workerShutdown } from './shutdown.js';
import type { Tracing } from '../telemetry/otel.js';

export interface NativeWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** `<orchestration queue>-native`, i.e. `yilian-native` by default (workflows/activity-options.ts). */
  taskQueue: string;
  store: ContentStore;
  keyring: EngineKeyring;
  dataConverter?: DataConverter;
  tracing?: Tracing;
}

/**
 * The worker of the `yilian-native` task queue: STARK proving and PRE. Proving runs on native
 * threads, but record sealing also waits on the content store's fsync, so a few activities per
 * core keep the cores busy; it runs no workflows and can be scaled out on machines of its own.
 */
export function createNativeWorker(options: NativeWorkerOptions): Promise<Worker> {
  const deps = { store: options.store, keyring: options.keyring, time: cryptoTimer };
  const activities = { ...createRecordNativeActivities(deps), ...createTraceNativeActivities(deps) };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities,
    interceptors: { activity: [activityTimings('native', activities), ...(options.tracing?.activity ?? [])] },
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    maxConcurrentActivityTaskExecutions: 4 * availableParallelism(),
    ...workerShutdown,
  });
}
