import { Client, Connection } from '@temporalio/client';
import { apiUrlOf, type Config } from '../config/index.js';
import { chainClient } from '../chain/connect.js';
import { requireDeployment, type Deployment } from '../chain/deployment.js';
import { codecFromConfig } from '../codec/from-config.js';
import type { FiscoClient } from '../../core/ledger/fisco-client.js';
import type { ContentStore } from '../../core/storage/index.js';
import { contentStoreFromConfig } from '../engine/content-store.js';
import { workflowStarter, type WorkflowStarter } from '../../workflows/starter.js';

export interface EngineClient {
  /** The engine's workflows, started the one typed way. */
  workflows: WorkflowStarter;
  chain: FiscoClient;
  contracts: Deployment;
  store: ContentStore;
  apiUrl: string;
  close(): Promise<void>;
}

/** What a CLI command needs to talk to a running engine: Temporal (with the payload codec), the chain, the store, the API. */
export async function connectEngine(config: Config): Promise<EngineClient> {
  const contracts = await requireDeployment(config.home);
  const chain = chainClient(config);
  await chain.checkChain();
  const { codec } = await codecFromConfig(config);
  const connection = await Connection.connect({
    address: config.temporal.address,
    tls: config.temporal.tls,
    apiKey: config.temporal.apiKey,
  });
  return {
    workflows: workflowStarter(
      new Client({ connection, namespace: config.temporal.namespace, dataConverter: { payloadCodecs: [codec] } }),
      config.workers.taskQueue,
    ),
    chain,
    contracts,
    store: contentStoreFromConfig(config),
    apiUrl: apiUrlOf(config),
    close: () => connection.close(),
  };
}

/** Runs `work` against the configured engine and closes the connection afterwards. */
export async function withEngine<T>(config: Config, work: (engine: EngineClient) => Promise<T>): Promise<T> {
  const engine = await connectEngine(config);
  try {
    return await work(engine);
  } finally {
    await engine.close();
  }
}
