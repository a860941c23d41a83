import { Client, Connection } from '@temporalio/client';
import { apiUrlOf, type Config } from '../config/index.js';
import { chainClient } from '../chain/connect.js';
import { requireDeployment, type Deployment } from '../chain/deployment.js';
import { codecFromConfig } from '../codec/from-config.js';
import type { FiscoClient } from '../../core/ledger/fisco-client.js';
import { createContentStore, type ContentStore } from '../../core/storage/index.js';

export interface EngineClient {
  client: Client;
  chain: FiscoClient;
  contracts: Deployment;
  store: ContentStore;
  apiUrl: string;
  taskQueue: string;
  close(): Promise<void>;
}

/** What a CLI command needs to talk to a running engine: Temporal (with the payload codec), the chain, the store, the API. */
export async function connectEngine(config: Config): Promise<EngineClient> {
  const contracts = await requireDeployment(config.home);
  const chain = chainClient(config);
  await chain.checkChain();
  const { codec } = await codecFromConfig(config);
  const connection = await Connection.connect({ address: config.temporal.address, tls: config.temporal.tls, apiKey: config.temporal.apiKey });
  return {
    client: new Client({ connection, namespace: config.temporal.namespace, dataConverter: { payloadCodecs: [codec] } }),
    chain,
    contracts,
    store: createContentStore({ backend: config.storage.backend, home: config.home, kuboApiUrl: config.storage.kuboApiUrl }),
    apiUrl: apiUrlOf(config),
    taskQueue: config.workers.taskQueue,
    close: () => connection.close(),
  };
}
