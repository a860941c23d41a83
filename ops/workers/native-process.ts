import { join } from 'node:path';
import { readFile, stat } from 'node:fs/promises';
import { repoRoot, type Config } from '../config/index.js';
import { startManagedProcess, type ManagedProcess } from '../services/managed-process.js';

/**
 * The native queue's worker (sealing records, proving trace steps) as a process of its own beside
 * `./ops/up`: `ops/workers/main.ts native` under the same settings and data dir. Its CPU-heavy
 * activities then run on a core of their own instead of in the process that answers the doors and
 * runs the workflows: on this project's 2-core machine that is what takes the batched intake past
 * 100 records/s (docs/operations.md § Capacity). It logs to `<data dir>/logs/native-worker.log`.
 */
export async function startNativeWorkerProcess(config: Config): Promise<ManagedProcess> {
  const logFile = join(config.home, 'logs', 'native-worker.log');
  // the log is appended to across restarts: only what this start wrote says it is ready
  const from = await stat(logFile).then(
    (info) => info.size,
    () => 0,
  );
  return startManagedProcess({
    name: 'native-worker',
    command: process.execPath,
    args: ['--import', 'tsx', join(repoRoot, 'ops', 'workers', 'main.ts'), 'native'],
    cwd: repoRoot,
    logFile,
    readyTimeoutMs: 120_000,
    ready: async () => /native polling/.test((await readFile(logFile)).subarray(from).toString('utf8')),
  });
}
