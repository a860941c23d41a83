import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config/index.js';
import { chainClient } from '../chain/connect.js';
import { loadOrCreateCa } from '../chain/ca.js';
import { keystorePassword } from '../chain/password.js';
import { requireDeployment } from '../chain/deployment.js';
import { codecFromConfig } from '../codec/from-config.js';
import { openEngine } from '../engine/open.js';
import { operatorsFromConfig } from '../engine/operators.js';
import type { Engine } from '../../activities/engine.js';
import { contentStoreFromConfig } from '../engine/content-store.js';
import { createOrchestrationWorker } from './orchestration.js';
import { createNativeWorker } from './native.js';
import { nativeQueueOf } from '../../workflows/activity-options.js';
import { MeteredFiscoClient, meteredStore } from '../telemetry/instruments.js';
import { tracing as startTracing, type Tracing } from '../telemetry/otel.js';

export type WorkerKind = 'orchestration' | 'native';

export interface WorkerSet {
  workers: Array<{ kind: WorkerKind; taskQueue: string; worker: Worker; run: Promise<void> }>;
  /** Asks every running worker to stop and waits until all have drained. */
  drain(): Promise<void>;
}

/**
 * Creates and runs an engine's workers: `orchestration` on `taskQueue`, `native` on its paired
 * `<taskQueue>-native` (the queue the workflows send native activities to).
 */
export async function runEngineWorkers(
  options: {
    connection: NativeConnection;
    namespace: string;
    taskQueue: string;
    engine: Engine;
    dataConverter?: DataConverter;
    tracing?: Tracing | undefined;
  },
  kinds: readonly WorkerKind[],
): Promise<WorkerSet> {
  const { connection, namespace, engine, dataConverter } = options;
  const converter = {
    ...(dataConverter ? { dataConverter } : {}),
    ...(options.tracing ? { tracing: options.tracing } : {}),
  };
  const workers: WorkerSet['workers'] = [];
  for (const kind of kinds) {
    const taskQueue = kind === 'orchestration' ? options.taskQueue : nativeQueueOf(options.taskQueue);
    const worker =
      kind === 'orchestration'
        ? await createOrchestrationWorker({ connection, namespace, taskQueue, engine, ...converter })
        : await createNativeWorker({
            connection,
            namespace,
            taskQueue,
            store: engine.store,
            keyring: engine.keyring,
            ...converter,
          });
    workers.push({ kind, taskQueue, worker, run: worker.run() });
  }
  return {
    workers,
    async drain() {
      for (const { worker } of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.allSettled(workers.map((w) => w.run));
    },
  };
}

export interface RunningWorkers extends WorkerSet {
  engine: Engine;
  /** Drains the workers, then closes the connection and the engine state. */
  shutdown(): Promise<void>;
}

/**
 * Starts the workers of this engine from its configuration: `orchestration` polls the `yilian`
 * queue (every workflow, chain/store/state activities), `native` polls `yilian-native` (proving
 * and PRE). `./ops/up` runs both in its process; `ops/workers/main.ts` runs either on its own host.
 */
export async function startWorkers(config: Config, kinds: readonly WorkerKind[]): Promise<RunningWorkers> {
  const chain = new MeteredFiscoClient(chainClient(config).settings);
  await chain.checkChain();
  const deployment = await requireDeployment(config.home);
  const password = await keystorePassword(config);
  const holdsCa = await readFile(join(config.home, 'keys', 'ca.address'), 'utf8').then(
    () => true,
    () => false,
  );
  const store = meteredStore(contentStoreFromConfig(config));
  const engine = await openEngine({
    home: config.home,
    chain,
    contracts: deployment,
    store,
    keystorePassword: password,
    operators: await operatorsFromConfig(config),
    ...(holdsCa ? { ca: await loadOrCreateCa(config.home, password) } : {}),
  });
  const { codec } = await codecFromConfig(config);
  const connection = await NativeConnection.connect({
    address: config.temporal.address,
    tls: config.temporal.tls,
    apiKey: config.temporal.apiKey,
  });
  const set = await runEngineWorkers(
    {
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.workers.taskQueue,
      engine,
      dataConverter: { payloadCodecs: [codec] },
      tracing: config.telemetry.otlpEndpoint ? await startTracing(config.telemetry.otlpEndpoint, 'yilian') : undefined,
    },
    kinds,
  );
  return {
    engine,
    ...set,
    async shutdown() {
      await set.drain();
      await connection.close();
      await engine.state.close();
    },
  };
}
