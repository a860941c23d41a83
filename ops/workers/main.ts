import { loadConfig } from '../config/index.js';
import type { WorkerKind } from './start.js';
import { startDispatcherFromConfig } from './dispatcher.js';
import { keepPrivate } from '../engine/private-files.js';
import { createLogger, stdoutDestination } from '../telemetry/log.js';
import { installTemporalRuntime } from '../telemetry/runtime.js';
import { serveMetrics } from '../telemetry/http.js';
import { tracing as startTracing } from '../telemetry/otel.js';

/**
 * Worker entry for a host of its own: `node --import tsx ops/workers/main.ts
 * orchestration|native|dispatcher` (orchestration and native when no argument). Configured like
 * `./ops/up` through YILIAN_* variables, against an external Temporal, chain and Redis;
 * SIGINT/SIGTERM drain it. It logs JSON lines on stdout (console lines on a terminal), and serves
 * GET /metrics on YILIAN_METRICS_PORT when that is set.
 */
const log = createLogger({ level: 'info', component: 'worker', destination: stdoutDestination() });
const requested = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['orchestration', 'native'];
const isKind = (name: string): name is WorkerKind => name === 'orchestration' || name === 'native';
const unknown = requested.find((name) => !isKind(name) && name !== 'dispatcher');
if (unknown !== undefined) {
  log.fatal(`unknown worker kind "${unknown}": expected orchestration, native or dispatcher`);
  process.exit(2);
}
const kinds = requested.filter(isKind);

const config = loadConfig();
log.level = config.telemetry.logLevel;
await keepPrivate(config.home);
if (kinds.length > 0) await installTemporalRuntime({ log, level: config.telemetry.logLevel });
const tracing = config.telemetry.otlpEndpoint ? await startTracing(config.telemetry.otlpEndpoint, 'yilian') : undefined;
const metrics =
  config.telemetry.metricsPort === undefined
    ? undefined
    : await serveMetrics(config.api.host, config.telemetry.metricsPort);
if (metrics) log.info(`metrics at http://${config.api.host}:${config.telemetry.metricsPort}/metrics`);
const dispatcher = requested.includes('dispatcher')
  ? await startDispatcherFromConfig(config, log.child({ component: 'dispatch' }), tracing)
  : undefined;
if (dispatcher) {
  log.info(`dispatcher taking intake jobs for ${config.workers.taskQueue}`);
  // the Temporal runtime drains the other workers on these signals; the dispatcher finishes the starts under way
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void dispatcher.close());
}
// loaded only for Temporal workers: a dispatcher host needs neither the native addon nor the chain
const running = kinds.length > 0 ? await (await import('./start.js')).startWorkers(config, kinds) : undefined;
for (const { kind, taskQueue } of running?.workers ?? []) log.info({ kind }, `${kind} polling ${taskQueue}`);
const results = await Promise.allSettled([...(running?.workers ?? []).map((w) => w.run), dispatcher?.closed]);
await running?.shutdown();
await tracing?.shutdown();
metrics?.close();
const failed = results.find((r) => r.status === 'rejected');
if (failed) {
  log.fatal(`worker failed: ${(failed.reason as Error).message}`);
  process.exit(1);
}
