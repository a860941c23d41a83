import { spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../config/index.js';
import { SCRATCH_PASSWORD, type ScratchEngine } from './engine.js';
import type { WorkerKind } from '../workers/start.js';

/** The YILIAN_* settings under which `ops/workers/main.ts` serves a test engine's queues. */
export function workerEnv(stack: ScratchEngine): NodeJS.ProcessEnv {
  return {
    YILIAN_HOME: stack.home,
    YILIAN_TEMPORAL_MODE: 'external',
    YILIAN_TEMPORAL_ADDRESS: stack.temporal.connection.options.address,
    YILIAN_TEMPORAL_NAMESPACE: stack.temporal.namespace ?? 'default',
    YILIAN_CHAIN_MODE: 'external',
    YILIAN_CHAIN_RPC_URL: stack.devchain.rpcUrl,
    YILIAN_KEYSTORE_PASSWORD: SCRATCH_PASSWORD,
    YILIAN_CODEC_KEYS: stack.codecKeys,
    YILIAN_CODEC_TOKEN: 'test-engine-codec-token',
    YILIAN_TASK_QUEUE: stack.taskQueue,
    YILIAN_OPERATORS: stack.operators,
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the process printed: its log. */
  output(): string;
  kill(): Promise<void>;
}

/**
 * Both queues' workers (or the `kinds` named) in a process of their own, as `ops/workers/main.ts`
 * runs them in production; `preload` modules are imported first (a test's fault injection, e.g.
 * test/harness/hold-activity.ts).
 */
export async function startWorkerProcess(
  env: NodeJS.ProcessEnv,
  options: { preload?: string[]; kinds?: readonly WorkerKind[] } = {},
): Promise<WorkerProcess> {
  const kinds = options.kinds ?? ['orchestration', 'native'];
  // Temporal's workflow threads inherit --import flags but cannot load TypeScript there, nor need a preload
  const preload = (options.preload ?? []).flatMap((path) => [
    '--import',
    `data:text/javascript,${encodeURIComponent(
      `import { isMainThread } from 'node:worker_threads'; if (isMainThread) await import(${JSON.stringify(pathToFileURL(path).href)});`,
    )}`,
  ]);
  const child = spawn(process.execPath, ['--import', 'tsx', ...preload, 'ops/workers/main.ts', ...kinds], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const ready = kinds.includes('native') ? /polling .*-native/ : /polling /;
  for (let i = 0; !ready.test(output); i++) {
    if (child.exitCode !== null || i > 600) throw new Error(`worker process did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    child,
    output: () => output,
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
