import { type NativeConnection, Worker } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { availableParallelism } from 'node:os';
import type { Engine } from '../../activities/engine.js';
import { createIdentityActivities } from '../../activities/identities/index.js';
import { createInboxActivities } from '../../activities/inbox/index.js';
import { createPatientActivities } from '../../activities/patients/index.js';
import { createRecordActivities } from '../../activities/records/index.js';
import { createTraceActivities } from '../../activities/trace/index.js';
import { activityTimings, cryptoTimer, runSinks } from '../telemetry/instruments.js';
import { workerShutdown } from './shutdown.js';
import type { Tracing } from '../telemetry/otel.js';

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
  /** OpenTelemetry, when YILIAN_OTLP_ENDPOINT is set. */
  tracing?: Tracing;
}

/** The worker of the `yilian` task queue: every workflow, and the I/O activities (chain, store, state). */
export function createOrchestrationWorker(options: OrchestrationWorkerOptions): Promise<Worker> {
  const { engine, tracing } = options;
  const activities = {
    ...createIdentityActivities(engine),
    ...createPatientActivities(engine),
    ...createRecordActivities(engine, cryptoTimer),
    ...createInboxActivities(engine),
    ...createTraceActivities(engine),
  };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowsPath,
    interceptors: {
      workflowModules: [...workflowInterceptorModules, ...(tracing?.workflowModules ?? [])],
      activity: [activityTimings('orchestration', activities), ...(tracing?.activity ?? [])],
    },
    sinks: { ...runSinks, ...tracing?.sinks },
    activities,
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    // I/O-bound activities: a few per core keep the store and chain busy without starving the event loop
    maxConcurrentActivityTaskExecutions: 8 * availableParallelism(),
    ...workerShutdown,
  });
}
