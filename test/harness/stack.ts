import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../../ops/config/index.js';
import { freePort } from '../../ops/services/ports.js';
import { tempDir } from '../../ops/scratch/services.js';
import { consoleLine } from '../../ops/telemetry/log.js';
import { withoutYilian } from './cli-process.js';

export interface RunningStack {
  /** The API (and web app) as a browser addresses it. */
  api: string;
  /** What `yilian` commands need to reach this stack: its data dir and ports. */
  env: NodeJS.ProcessEnv;
  mllpPort: number;
  home: string;
  /** What it logged so far, as console lines. */
  output: () => string;
}

/** How often a stack is started again on fresh ports when one of them was taken meanwhile. */
const PORT_RETRIES = 2;
/** Workers drain for at most 30 s (ops/workers/shutdown.ts); the services then stop in a few seconds. */
const STOP_TIMEOUT_MS = 90_000;

/**
 * The whole stack as `./ops/up` runs it (ops/stack/up.ts) in a data dir and on ports of its own,
 * ready when it returns; stopped (SIGINT, so it stops its services) and removed after the file.
 * Free ports are found, then released for the services to bind, and another process (Temporal's
 * dev server picks ports of its own) may take one meanwhile: then the stack starts again on others.
 */
export async function startStack(name: string, timeoutMs = 180_000): Promise<RunningStack> {
  for (let attempt = 0; ; attempt++) {
    const started = await launch(name, timeoutMs);
    if ('api' in started) return started;
    if (attempt >= PORT_RETRIES || !/address already in use/i.test(started.failure))
      assert.fail(`the stack exited before it was ready:\n${started.failure}`);
  }
}

async function launch(name: string, timeoutMs: number): Promise<RunningStack | { failure: string }> {
  const home = await tempDir(name);
  const ports = Object.fromEntries(
    await Promise.all(
      ['temporal', 'ui', 'redis', 'api', 'chain', 'mllp'].map(async (port) => [port, await freePort()] as const),
    ),
  ) as Record<'temporal' | 'ui' | 'redis' | 'api' | 'chain' | 'mllp', number>;
  const env = {
    YILIAN_HOME: home.path,
    YILIAN_TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
    YILIAN_TEMPORAL_UI_PORT: String(ports.ui),
    YILIAN_REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
    YILIAN_API_PORT: String(ports.api),
    YILIAN_CHAIN_RPC_URL: `http://127.0.0.1:${ports.chain}`,
    YILIAN_MLLP_PORT: String(ports.mllp),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'ops/stack/up.ts'], {
    cwd: repoRoot,
    env: { ...withoutYilian(process.env), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let [stdout, stderr] = ['', ''];
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const output = () =>
    stdout
      .split('\n')
      .filter((line) => line !== '')
      .map(consoleLine)
      .join('') + stderr;
  after(async () => {
    if (child.exitCode === null) child.kill('SIGINT');
    const stopped = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
    if (!stopped) {
      // so that the file ends with a failure that shows the supervisor's last lines, not a hang
      child.kill('SIGKILL');
      await exited;
    }
    await home.remove();
    assert.ok(stopped, `the stack did not stop within ${STOP_TIMEOUT_MS} ms of SIGINT:\n${output().slice(-4000)}`);
  });
  const deadline = Date.now() + timeoutMs;
  while (!/^ready /m.test(output())) {
    if (child.exitCode !== null) return { failure: `(exit ${child.exitCode})\n${output()}` };
    if (Date.now() > deadline) assert.fail(`the stack was not ready within ${timeoutMs} ms:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { api: `http://127.0.0.1:${ports.api}`, env, mllpPort: ports.mllp, home: home.path, output };
}
