import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Config } from '../config/index.js';
import { chainClient } from '../chain/connect.js';
import { loadOrCreateCa } from '../chain/ca.js';
import { keystorePassword } from '../chain/password.js';
import { readDeployment } from '../chain/deployment.js';
import { codecFromConfig } from '../codec/from-config.js';
import { openEngine } from '../engine/open.js';
import type { Engine } from '../../activities/engine.js';
import { createContentStore } from '../../activities/storage/index.js';
import { createOrchestrationWorker } from './orchestration.js';
import { createNativeWorker } from './native.js';
import { nativeQueueOf } from '../../workflows/activity-options.js';

export type WorkerKind = 'orchestration' | 'native';

export interface RunningWorkers {
  engine: Engine;
  workers: Array<{ kind: WorkerKind; taskQueue: string; worker: Worker; run: Promise<void> }>;
  /** Drains the workers, then closes the connection and the engine state. */
  shutdown(): Promise<void>;
}

/**
 * Starts the workers of this engine from its configuration: `orchestration` polls the `yilian`
 * queue (every workflow, chain/store/state activities), `native` polls `yilian-native` (proving
 * and PRE). `./ops/up` runs both in its process; `ops/workers/main.ts` runs either on its own host.
 */
export async function startWorkers(config: Config, kinds: readonly WorkerKind[]): Promise<RunningWorkers> {
  const chain = chainClient(config);
  await chain.checkChain();
  const deployment = await readDeployment(config.home);
  if (!deployment) throw new Error(`no contract deployment in ${join(config.home, 'chain', 'contracts.json')}; run \`yilian chain deploy\` first`);
  const password = await keystorePassword(config);
  const holdsCa = await readFile(join(config.home, 'keys', 'ca.address'), 'utf8').then(() => true, () => false);
  const store = createContentStore({ backend: config.storage.backend, home: config.home, kuboApiUrl: config.storage.kuboApiUrl });
  const engine = await openEngine({
    home: config.home,
    chain,
    contracts: deployment,
    store,
    keystorePassword: password,
    ...(holdsCa ? { ca: await loadOrCreateCa(config.home, password) } : {}),
  });
  const { codec } = await codecFromConfig(config);
  const dataConverter = { payloadCodecs: [codec] };
  const connection = await NativeConnection.connect({ address: config.temporal.address, tls: config.temporal.tls, apiKey: config.temporal.apiKey });
  const namespace = config.temporal.namespace;
  const workers: RunningWorkers['workers'] = [];
  for (const kind of kinds) {
    const taskQueue = kind === 'orchestration' ? config.workers.taskQueue : nativeQueueOf(config.workers.taskQueue);
    const worker =
      kind === 'orchestration'
        ? await createOrchestrationWorker({ connection, namespace, taskQueue, store, engine, dataConverter })
        : await createNativeWorker({ connection, namespace, taskQueue, store, keyring: engine.keyring, dataConverter });
    workers.push({ kind, taskQueue, worker, run: worker.run() });
  }
  return {
    engine,
    workers,
    async shutdown() {
      for (const { worker } of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.allSettled(workers.map((w) => w.run));
      await connection.close();
      await engine.state.close();
    },
  };
}
