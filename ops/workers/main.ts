import { loadConfig } from '../config/index.js';
import type { WorkerKind } from './start.js';
import { startDispatcherFromConfig } from './dispatcher.js';
import { keepPrivate } from '../engine/private-files.js';

/**
 * Worker entry for a host of its own: `node --import tsx ops/workers/main.ts
 * orchestration|native|dispatcher` (orchestration and native when no argument). Configured like
 * `./ops/up` through YILIAN_* variables, against an external Temporal, chain and Redis;
 * SIGINT/SIGTERM drain it.
 */
const requested = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['orchestration', 'native'];
const isKind = (name: string): name is WorkerKind => name === 'orchestration' || name === 'native';
const unknown = requested.find((name) => !isKind(name) && name !== 'dispatcher');
if (unknown !== undefined) {
  console.error(`unknown worker kind "${unknown}": expected orchestration, native or dispatcher`);
  process.exit(2);
}
const kinds = requested.filter(isKind);

const config = loadConfig();
await keepPrivate(config.home);
const dispatcher = requested.includes('dispatcher') ? await startDispatcherFromConfig(config) : undefined;
if (dispatcher) {
  console.log(`worker dispatcher taking intake jobs for ${config.workers.taskQueue}`);
  // the Temporal runtime drains the other workers on these signals; the dispatcher finishes the starts under way
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void dispatcher.close());
}
// loaded only for Temporal workers: a dispatcher host needs neither the native addon nor the chain
const running = kinds.length > 0 ? await (await import('./start.js')).startWorkers(config, kinds) : undefined;
for (const { kind, taskQueue } of running?.workers ?? []) console.log(`worker ${kind} polling ${taskQueue}`);
const results = await Promise.allSettled([...(running?.workers ?? []).map((w) => w.run), dispatcher?.closed]);
await running?.shutdown();
const failed = results.find((r) => r.status === 'rejected');
if (failed) {
  console.error(`worker failed: ${(failed.reason as Error).message}`);
  process.exit(1);
}
