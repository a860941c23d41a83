import { join } from 'node:path';
import type { Server } from 'node:http';
import type { Router } from 'express';
import { Client, Connection } from '@temporalio/client';
import { Redis } from 'ioredis';
import { apiUrlOf, loadConfig, redactConfig, repoRoot, type Config } from '../config/index.js';
import { toolPath } from '../tools.js';
import { assertPortFree } from '../services/ports.js';
import { startTemporalDevServer } from '../services/temporal.js';
import { startRedis, redisDataDir } from '../services/redis.js';
import { requireDurableRedis } from '../services/redis-durability.js';
import { startIntakeQueue, startMllpIntake } from '../intake/start.js';
import { startFhirIntake } from '../intake/fhir.js';
import { workflowStarter } from '../../workflows/starter.js';
import { startDevchain } from '../services/devchain.js';
import { chainClient, deployFromConfig } from '../chain/connect.js';
import type { ManagedProcess } from '../services/managed-process.js';
import { contentStoreFromConfig } from '../engine/content-store.js';
import { messageOf } from '../error-message.js';
import { keepPrivate } from '../engine/private-files.js';
import { redactUrl } from '../../core/redact-url.js';
import { startWorkers } from '../workers/start.js';
import { startNativeWorkerProcess } from '../workers/native-process.js';
import { nativeQueueOf } from '../../workflows/activity-options.js';
import { createHttpApp } from '../../connectors/http/app.js';
import { registrationRoutes } from '../../connectors/http/registration-routes.js';
import { enrolmentRoutes } from '../../connectors/http/enrolment-routes.js';
import { grantRoutes } from '../../connectors/http/grant-routes.js';
import { prekeyRoutes } from '../../connectors/http/prekey-routes.js';
import { codecRoutes } from '../../connectors/http/codec-routes.js';
import { walletCorsPolicy, withCors } from '../../connectors/http/cors.js';
import { blockGatewayRoutes } from '../../connectors/http/block-gateway-routes.js';
import { chainGatewayRoutes } from '../../connectors/http/chain-gateway-routes.js';
import { inboxRoutes } from '../../connectors/http/inbox-routes.js';
import { auditReportRoutes } from '../../connectors/http/audit-report-routes.js';
import { auditReport } from '../audit/report.js';
import { codecFromConfig, codecKeyringFromConfig } from '../codec/from-config.js';
import { apiDocumentRoutes, traceRoutes } from '../../connectors/erp/routes.js';
import { auditVerifyRoutes } from '../../connectors/http/audit-verify-routes.js';
import { apiAuditVerifier } from '../audit/verify-api.js';
import { createLogger, stdoutDestination } from '../telemetry/log.js';
import { installTemporalRuntime } from '../telemetry/runtime.js';
import { meteredStore } from '../telemetry/instruments.js';
import { countedErpRoutes, metricsRoutes, timedRoutes } from '../telemetry/http.js';
import { tracing as startTracing } from '../telemetry/otel.js';
import { opsSummaryRoutes } from '../telemetry/summary.js';

/**
 * The stack supervisor behind `./ops/up`: starts every component in dependency order, logs one
 * line per component and a final `ready` line, and on SIGINT/SIGTERM stops them in reverse order.
 * Embedded services keep their state under the data dir, so starting again keeps all data. Its log
 * and that of everything in its process (workers, API, doors) is JSON lines on stdout, or the
 * console lines `<component> <message>` on a terminal.
 */
const log = createLogger({ level: 'info', destination: stdoutDestination() });
const say = (component: string, message: string) => log.info({ component }, message);

type Stopper = () => Promise<void>;

const stoppers: Array<[string, Stopper]> = [];
let stopping = false;

async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info('stopping');
  for (const [name, stop] of stoppers.reverse()) {
    await stop().catch((error: unknown) =>
      log.warn({ component: name }, `failed to stop cleanly: ${messageOf(error)}`),
    );
    say(name, 'stopped');
  }
  log.flush();
  process.exit(code);
}

async function main(): Promise<void> {
  const config = loadConfig();
  log.level = config.telemetry.logLevel;
  await keepPrivate(config.home);
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  const watch = (child: ManagedProcess) =>
    void child.exited.then((code) => {
      if (!stopping) {
        log.error(
          { component: child.name },
          `exited unexpectedly (code ${code}); see ${join(config.home, 'logs', `${child.name}.log`)}`,
        );
        void stopAll(1);
      }
    });

  say('config', `data dir ${config.home}; ${JSON.stringify(redactConfig(config).storage)}`);
  await checkPorts(config);
  // the supervisor owns the signals, so the worker drains when told, in order
  await installTemporalRuntime({
    log: log.child({ component: 'worker' }),
    level: config.telemetry.logLevel,
    shutdownSignals: [],
  });
  const tracing = config.telemetry.otlpEndpoint
    ? await startTracing(config.telemetry.otlpEndpoint, 'yilian')
    : undefined;
  // stopped last: the spans of everything stopped before it are sent
  if (tracing) stoppers.push(['tracing', () => tracing.shutdown()]);

  const [temporalHost, temporalPort] = splitAddress(config.temporal.address);
  if (config.temporal.mode === 'embedded') {
    const server = await startTemporalDevServer({
      executable: toolPath(config.toolsDir, 'temporal'),
      host: temporalHost,
      port: temporalPort,
      uiPort: config.temporal.uiPort,
      namespace: config.temporal.namespace,
      dataDir: join(config.home, 'temporal'),
      logFile: join(config.home, 'logs', 'temporal.log'),
      uiCodecEndpoint: `${apiUrlOf(config)}/codec`,
    });
    stoppers.push(['temporal', () => server.stop()]);
    watch(server);
  }
  const connectionOptions = {
    address: config.temporal.address,
    tls: config.temporal.tls,
    apiKey: config.temporal.apiKey,
  };
  const client = await Connection.connect(connectionOptions);
  stoppers.push(['client', () => client.close()]);
  say(
    'temporal',
    `ok ${config.temporal.mode} ${config.temporal.address} namespace ${config.temporal.namespace}` +
      (config.temporal.mode === 'embedded' ? `, Web UI http://${temporalHost}:${config.temporal.uiPort}` : ''),
  );

  if (config.redis.mode === 'embedded') {
    const url = new URL(config.redis.url);
    const redis = await startRedis({
      executable: toolPath(config.toolsDir, 'redis-server'),
      port: Number(url.port || 6379),
      dataDir: redisDataDir(config.home),
      logFile: join(config.home, 'logs', 'redis.log'),
    });
    stoppers.push(['redis', () => redis.process.stop()]);
    watch(redis.process);
  }
  const redisClient = new Redis(config.redis.url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
  redisClient.on('error', () => {}); // reported by /healthz, not as unhandled events
  await redisClient.connect();
  await redisClient.ping();
  stoppers.push([
    'redis-client',
    () => {
      redisClient.disconnect();
      return Promise.resolve();
    },
  ]);
  say(
    'redis',
    `ok ${config.redis.mode} ${redactUrl(config.redis.url)} ${await requireDurableRedis(config.redis.url, config.redis.allowUnsafe)}`,
  );

  if (config.chain.mode === 'embedded') {
    const devchain = await startDevchain({
      dataDir: join(config.home, 'chain', 'data'),
      port: Number(new URL(config.chain.rpcUrl).port),
      logFile: join(config.home, 'logs', 'devchain.log'),
      chainId: config.chain.chainId,
      groupId: config.chain.groupId,
    });
    stoppers.push(['devchain', () => devchain.process.stop()]);
    watch(devchain.process);
  }
  const chain = chainClient(config);
  const { deployment, created } = await deployFromConfig(config, chain);
  say(
    'chain',
    `ok ${config.chain.mode} ${redactUrl(config.chain.rpcUrl)} ${config.chain.chainId}/${config.chain.groupId} block ${await chain.getBlockNumber()}; ` +
      `contracts ${created ? 'deployed' : 'found'}: Directory ${deployment.directory}, RecordRegistry ${deployment.recordRegistry}, DrugTrace ${deployment.drugTrace}`,
  );

  const store = meteredStore(contentStoreFromConfig(config));
  await store.check();
  say(
    'storage',
    `ok ${store.backend}${store.backend === 'kubo' ? ` ${redactUrl(config.storage.kuboApiUrl)}` : ` ${join(config.home, 'blocks')}`}`,
  );

  const { codec, token: codecToken } = await codecFromConfig(config);
  const separateNative = config.workers.native === 'process';
  const running = await startWorkers(config, separateNative ? ['orchestration'] : ['orchestration', 'native']);
  stoppers.push(['worker', () => running.shutdown()]);
  for (const { run } of running.workers) {
    void run.catch((error: unknown) => {
      log.error({ component: 'worker' }, `failed: ${messageOf(error)}`);
      void stopAll(1);
    });
  }
  const nativeWorker = separateNative ? await startNativeWorkerProcess(config) : undefined;
  let nativeWorkerExited = false;
  if (nativeWorker) {
    const exited = () => (nativeWorkerExited = true);
    void nativeWorker.exited.then(exited, exited);
    watch(nativeWorker);
    stoppers.push(['native-worker', () => nativeWorker.stop()]);
  }
  say(
    'worker',
    `ok task queues ${running.workers.map((w) => w.taskQueue).join(', ')}` +
      (nativeWorker
        ? `, ${nativeQueueOf(config.workers.taskQueue)} (process ${nativeWorker.pid}, log ${join(config.home, 'logs', 'native-worker.log')})`
        : ''),
  );

  // the engine's own client (the payload codec): the doors start workflows and read their state with it
  const codecClient = new Client({
    connection: client,
    namespace: config.temporal.namespace,
    dataConverter: { payloadCodecs: [codec] },
    ...(tracing ? { interceptors: { workflow: tracing.client } } : {}),
  });
  const workflows = workflowStarter(codecClient, config.workers.taskQueue);
  const intake = await startIntakeQueue(config, log, tracing);
  stoppers.push(...intake.stoppers);
  const { openapi, docs } = apiDocumentRoutes();

  // a wallet served by another engine of the consortium calls these routes here
  const wallet = (router: Router) => withCors(walletCorsPolicy(config.api.walletOrigins), router);
  const uiOrigins = [`http://${temporalHost}:${config.temporal.uiPort}`, `http://localhost:${config.temporal.uiPort}`];
  const app = createHttpApp({
    health: {
      temporal: async () => {
        await client.workflowService.getSystemInfo({});
      },
      redis: async () => {
        await redisClient.ping();
      },
      storage: () => store.check(),
      chain: () => chain.checkChain(),
      worker: () => {
        const stopped = running.workers.find((w) => w.worker.getState() !== 'RUNNING');
        if (stopped) return Promise.reject(new Error(`${stopped.kind} worker is ${stopped.worker.getState()}`));
        return nativeWorkerExited
          ? Promise.reject(new Error('the native worker process has exited'))
          : Promise.resolve();
      },
    },
    routes: timedRoutes({
      // the endpoint only displays payloads, so it shows unsealed ones as they are
      '/codec': codecRoutes({ codec: codec.forDisplay(), token: codecToken, allowedOrigins: uiOrigins }),
      '/inbox': wallet(inboxRoutes(running.engine.state, { publicUrl: apiUrlOf(config) })),
      '/v1/registrations': registrationRoutes(running.engine.state, { publicUrl: apiUrlOf(config) }),
      '/v1/enrolments': wallet(
        enrolmentRoutes({
          state: running.engine.state,
          publicUrl: apiUrlOf(config),
          workflows,
        }),
      ),
      '/v1/grants': wallet(grantRoutes(workflows)),
      '/v1/prekeys': wallet(prekeyRoutes(running.engine.state, workflows)),
      '/v1/trace': countedErpRoutes(
        traceRoutes({
          state: running.engine.state,
          store,
          queue: intake.queue,
          client: codecClient,
          keys: await codecKeyringFromConfig(config),
        }),
      ),
      '/v1/audit/verify': auditVerifyRoutes(
        apiAuditVerifier({ chain, contracts: deployment, store, temporal: codecClient, codec }, (key) =>
          running.engine.state.anchoredMessage(key),
        ),
        { state: running.engine.state },
      ),
      '/v1/audit/report': auditReportRoutes({
        state: running.engine.state,
        report: (period) =>
          auditReport(
            {
              chain,
              contracts: deployment,
              client: codecClient,
              intake: { redisUrl: config.redis.url, taskQueue: config.workers.taskQueue },
            },
            period,
          ),
      }),
      '/v1/chain': wallet(
        chainGatewayRoutes(chain, {
          chainId: config.chain.chainId,
          groupId: config.chain.groupId,
          contracts: {
            directory: deployment.directory,
            recordRegistry: deployment.recordRegistry,
            drugTrace: deployment.drugTrace,
          },
        }),
      ),
      '/v1/blocks': wallet(blockGatewayRoutes(store)),
      '/openapi.json': openapi,
      '/docs': docs,
      '/metrics': metricsRoutes(),
      '/v1/ops': opsSummaryRoutes(
        config.temporal.mode === 'embedded' ? `http://${temporalHost}:${config.temporal.uiPort}` : null,
      ),
    }),
    webDist: join(repoRoot, 'web', 'dist'),
    webConnectOrigins: config.api.walletOrigins,
    log: ({ stack, ...fields }) => {
      const line = `${fields.status} ${fields.method} ${fields.path}: ${fields.message}`;
      if (stack === undefined) log.warn({ component: 'api', ...fields }, line);
      else log.error({ component: 'api', ...fields, stack }, line);
    },
  });
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(config.api.port, config.api.host, () => resolve(listening));
    listening.once('error', reject);
  });
  stoppers.push([
    'api',
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // close() waits for every keep-alive connection (a browser holds some open): idle ones go
        // now, and requests still running get a few seconds before their connections are cut
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5000).unref();
      }),
  ]);
  const apiUrl = apiUrlOf(config);
  say(
    'api',
    `ok ${apiUrl} (payload codec endpoint ${apiUrl}/codec: Bearer token in YILIAN_CODEC_TOKEN or ${join(config.home, 'keys', 'codec-token')}; ` +
      `the Web UI decodes after signing in at ${apiUrl}/codec/login; ERP trace events at ${apiUrl}/v1/trace, ` +
      `reference ${apiUrl}/docs/api, Prometheus metrics ${apiUrl}/metrics; the web app ${apiUrl}/)`,
  );

  if (config.mllp.enabled) {
    stoppers.push(...(await startMllpIntake(config, running.engine.state, workflows, intake.queue, log)));
  }
  const puller = await startFhirIntake(config, running.engine.state, intake.queue, log);
  if (puller) stoppers.push(['fhir', () => puller.close()]);

  const ui = config.temporal.mode === 'embedded' ? ` temporal-ui=http://${temporalHost}:${config.temporal.uiPort}` : '';
  log.info(
    { event: 'ready' },
    `ready api=${apiUrl} health=${apiUrl}/healthz metrics=${apiUrl}/metrics${ui} (Ctrl-C stops)`,
  );
}

function splitAddress(address: string): [string, number] {
  const index = address.lastIndexOf(':');
  return [address.slice(0, index), Number(address.slice(index + 1))];
}

async function checkPorts(config: Config): Promise<void> {
  const checks: Array<Promise<void>> = [assertPortFree(config.api.host, config.api.port, 'YILIAN_API_PORT')];
  if (config.mllp.enabled) checks.push(assertPortFree(config.mllp.host, config.mllp.port, 'YILIAN_MLLP_PORT'));
  if (config.temporal.mode === 'embedded') {
    const [host, port] = splitAddress(config.temporal.address);
    checks.push(
      assertPortFree(host, port, 'YILIAN_TEMPORAL_ADDRESS'),
      assertPortFree(host, config.temporal.uiPort, 'YILIAN_TEMPORAL_UI_PORT'),
    );
  }
  if (config.chain.mode === 'embedded') {
    const url = new URL(config.chain.rpcUrl);
    checks.push(assertPortFree(url.hostname, Number(url.port), 'YILIAN_CHAIN_RPC_URL'));
  }
  if (config.redis.mode === 'embedded') {
    const url = new URL(config.redis.url);
    checks.push(assertPortFree(url.hostname, Number(url.port || 6379), 'YILIAN_REDIS_URL'));
  }
  const results = await Promise.allSettled(checks);
  const problems = results.flatMap((result) =>
    result.status === 'rejected' ? [(result.reason as Error).message] : [],
  );
  if (problems.length > 0) throw new Error(`cannot start:\n  - ${problems.join('\n  - ')}`);
}

main().catch((error: unknown) => {
  log.fatal(`yilian up failed: ${messageOf(error)}`);
  void stopAll(1);
});
