import { loadConfig } from '../config/index.js';
import { startWorkers, type WorkerKind } from './start.js';
import { keepPrivate } from '../engine/private-files.js';

/**
 * Worker entry for a host of its own: `node --import tsx ops/workers/main.ts orchestration|native`
 * (both when no argument). Configured like `./ops/up` through YILIAN_* variables, against an
 * external Temporal and chain; SIGINT/SIGTERM drain it.
 */
const requested = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['orchestration', 'native'];
const isKind = (name: string): name is WorkerKind => name === 'orchestration' || name === 'native';
const unknown = requested.find((name) => !isKind(name));
if (unknown !== undefined) {
  console.error(`unknown worker kind "${unknown}": expected orchestration or native`);
  process.exit(2);
}
const kinds = requested.filter(isKind);

const config = loadConfig();
await keepPrivate(config.home);
const running = await startWorkers(config, kinds);
for (const { kind, taskQueue } of running.workers) console.log(`worker ${kind} polling ${taskQueue}`);
const results = await Promise.allSettled(running.workers.map((w) => w.run));
await running.shutdown();
const failed = results.find((r) => r.status === 'rejected');
if (failed) {
  console.error(`worker failed: ${(failed.reason as Error).message}`);
  process.exit(1);
}
