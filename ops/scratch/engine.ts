import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Client } from '@temporalio/client';
import type { Engine } from '../../activities/engine.js';
import { FiscoClient } from '../../core/ledger/fisco-client.js';
import { EmbeddedContentStore } from '../../core/storage/node/index.js';
import { signDigest } from '../../native/index.js';
import { ensureDeployed } from '../chain/deployment.js';
import { loadOrCreateCa } from '../chain/ca.js';
import { CodecKeyring } from '../codec/keyring.js';
import { EncryptionCodec } from '../codec/encryption-codec.js';
import { openEngine } from '../engine/open.js';
import { runEngineWorkers, type WorkerKind, type WorkerSet } from '../workers/start.js';
import { createHttpApp } from '../../connectors/http/app.js';
import { inboxRoutes } from '../../connectors/http/inbox-routes.js';
import { blockGatewayRoutes } from '../../connectors/http/block-gateway-routes.js';
import { chainGatewayRoutes } from '../../connectors/http/chain-gateway-routes.js';
import { enrolmentRoutes } from '../../connectors/http/enrolment-routes.js';
import { grantRoutes } from '../../connectors/http/grant-routes.js';
import { prekeyRoutes } from '../../connectors/http/prekey-routes.js';
import { workflowStarter, type WorkflowStarter } from '../../workflows/starter.js';
import { OperatorList } from '../../activities/operators.js';
import type { OperatorSigner } from '../../core/operators/authorization.js';
import { walletDir } from '../../wallet/node/wallet-dir.js';
import { Wallet } from '../../wallet/wallet.js';
import { startScratchDevchain, startScratchTemporal, tempDir } from './services.js';

/** Cheap scrypt for test keystores; the files record their parameters, so nothing else changes. */
export const SCRATCH_SCRYPT = { n: 2 ** 10, r: 8, p: 1 };
export const SCRATCH_PASSWORD = 'test keystore password';

export interface ScratchEngine {
  temporal: TestWorkflowEnvironment;
  /** A client with the payload codec, as every engine component has (unless started with `payloadCodec: false`). */
  client: Client;
  /** The engine's workflows on `client` and `taskQueue`, started the one typed way. */
  workflows: WorkflowStarter;
  devchain: Awaited<ReturnType<typeof startScratchDevchain>>;
  home: string;
  engine: Engine;
  chain: FiscoClient;
  taskQueue: string;
  apiUrl: string;
  codecKeys: string;
  /** The engine's operator (CA and hospital): signs what registering and enrolment need. */
  operator: OperatorSigner;
  /** The YILIAN_OPERATORS value that lists them, for worker processes on this engine. */
  operators: string;
  /** Starts (again) the in-process workers of both queues. */
  /** Both queues' workers in this process, or only those named (the others run elsewhere). */
  startWorkers(kinds?: readonly WorkerKind[]): Promise<void>;
  stopWorkers(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A whole engine on real parts: Temporal dev server, dev chain with the contracts deployed by a
 * fresh CA, embedded content store, engine state, both workers with the payload codec, and the
 * inbox API on a free port.
 */
export async function startScratchEngine(
  options: {
    temporalDb?: string;
    /**
     * An external Temporal (a cluster started by ./ops/cluster) instead of a fresh dev server: the
     * engine's task queues are fresh, so several runs can share one namespace.
     */
    temporal?: { address: string; namespace: string };
    /** Default true; false only to capture synthetic histories in the clear (test/histories). */ payloadCodec?: boolean;
  } = {},
): Promise<ScratchEngine> {
  const [temporal, devchain, home] = await Promise.all([
    options.temporal
      ? TestWorkflowEnvironment.createFromExistingServer(options.temporal)
      : startScratchTemporal(options.temporalDb ? { dbFilename: options.temporalDb } : {}),
    startScratchDevchain(),
    tempDir('engine'),
  ]);
  const chain = new FiscoClient({ rpcUrl: devchain.rpcUrl, chainId: 'chain0', groupId: 'group0', signer: signDigest });
  // kept in the data dir like the embedded stack's, so worker processes started on `home` hold it too
  const ca = await loadOrCreateCa(home.path, SCRATCH_PASSWORD);
  const { deployment } = await ensureDeployed(chain, home.path, ca);
  const store = new EmbeddedContentStore(home.path);
  // the engine's operator keeps a wallet of their own: every registration and enrolment needs their signature
  const operatorWallet = await Wallet.create(walletDir(join(home.path, 'operator')), SCRATCH_PASSWORD, SCRATCH_SCRYPT);
  const operator: OperatorSigner = {
    address: operatorWallet.identity.address,
    sign: (message) => operatorWallet.sign(message),
  };
  const operators = `ca:${operator.address},hospital:${operator.address}`;
  const engine = await openEngine({
    home: home.path,
    chain,
    contracts: deployment,
    store,
    keystorePassword: SCRATCH_PASSWORD,
    operators: OperatorList.parse(operators),
    ca,
    scrypt: SCRATCH_SCRYPT,
  });
  const codecKeys = `k1:${randomBytes(32).toString('base64')}`;
  const dataConverter =
    options.payloadCodec === false
      ? undefined
      : { payloadCodecs: [new EncryptionCodec(CodecKeyring.parse(codecKeys))] };
  const taskQueue = `yilian-test-${randomBytes(4).toString('hex')}`;
  const namespace = temporal.namespace ?? 'default';

  // listening first: the inbox routes check signatures against the URL, which has the free port in it
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let running: WorkerSet | undefined;
  const stopWorkers = async () => {
    await running?.drain();
    running = undefined;
  };
  const client = new Client({
    connection: temporal.connection,
    namespace,
    ...(dataConverter ? { dataConverter } : {}),
  });
  const workflows = workflowStarter(client, taskQueue);
  // what a wallet reaches the engine through (ops/stack/up.ts mounts the same)
  server.on(
    'request',
    createHttpApp({
      health: {},
      routes: {
        '/inbox': inboxRoutes(engine.state, { publicUrl: apiUrl }),
        '/v1/grants': grantRoutes(workflows),
        '/v1/prekeys': prekeyRoutes(engine.state, workflows),
        '/v1/enrolments': enrolmentRoutes({ state: engine.state, publicUrl: apiUrl, workflows }),
        '/v1/chain': chainGatewayRoutes(chain, { chainId: 'chain0', groupId: 'group0', contracts: deployment }),
        '/v1/blocks': blockGatewayRoutes(store),
      },
    }),
  );
  return {
    temporal,
    client,
    workflows,
    devchain,
    home: home.path,
    engine,
    chain,
    taskQueue,
    apiUrl,
    codecKeys,
    operator,
    operators,
    async startWorkers(kinds = ['orchestration', 'native'] as const) {
      running = await runEngineWorkers(
        {
          connection: temporal.nativeConnection,
          namespace,
          taskQueue,
          engine,
          ...(dataConverter ? { dataConverter } : {}),
        },
        kinds,
      );
    },
    stopWorkers,
    async stop() {
      await stopWorkers();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.state.close();
      await temporal.teardown();
      await devchain.stop();
      await home.remove();
    },
  };
}
