import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfig } from '../config/index.js';
import { toolPath } from '../tools.js';
import { freePort } from '../services/ports.js';
import { startRedis } from '../services/redis.js';
import { startKubo } from '../services/kubo.js';
import { startDevchain } from '../services/devchain.js';

/**
 * Real services for tests, each on free loopback ports with its state in a temporary folder that
 * `stop()` removes. Nothing here is a mock: these are the binaries `./ops/bootstrap` installs.
 */
export interface ScratchService {
  stop(): Promise<void>;
}

/** The bootstrapped tools: YILIAN_TOOLS_DIR if set, as for ./ops/bootstrap; no other setting applies here. */
export const toolsDir = loadConfig(
  process.env.YILIAN_TOOLS_DIR ? { YILIAN_TOOLS_DIR: process.env.YILIAN_TOOLS_DIR } : {},
).toolsDir;

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `yilian-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export async function startScratchRedis(options: { extraArgs?: string[] } = {}): Promise<
  ScratchService & {
    url: string;
    port: number;
    dataDir: string;
    /** SIGKILL, as a power cut would: only what Redis fsync'd survives. */
    kill(): Promise<void>;
    /** Starts it again on the same port and data. */
    start(): Promise<void>;
  }
> {
  const dir = await tempDir('redis');
  const port = await freePort();
  const dataDir = join(dir.path, 'data');
  const start = () =>
    startRedis({
      executable: toolPath(toolsDir, 'redis-server'),
      port,
      dataDir,
      logFile: join(dir.path, 'redis.log'),
      ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
    });
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined = await start();
  const url = redis.url;
  return {
    url,
    port,
    dataDir,
    async kill() {
      if (!redis) return;
      process.kill(redis.process.pid, 'SIGKILL');
      await redis.process.exited;
      redis = undefined;
    },
    async start() {
      redis ??= await start();
    },
    async stop() {
      await redis?.process.stop();
      await dir.remove();
    },
  };
}

export async function startScratchKubo(): Promise<
  ScratchService & { apiUrl: string; executable: string; repo: string }
> {
  const dir = await tempDir('kubo');
  const executable = toolPath(toolsDir, 'ipfs');
  const repo = join(dir.path, 'repo');
  const kubo = await startKubo({
    executable,
    repo,
    apiPort: await freePort(),
    gatewayPort: await freePort(),
    logFile: join(dir.path, 'kubo.log'),
    offline: true,
  });
  return {
    apiUrl: kubo.apiUrl,
    executable,
    repo,
    async stop() {
      await kubo.process.stop();
      await dir.remove();
    },
  };
}

let runtimeInstalled = false;

/** A real Temporal dev server (the bootstrapped CLI) on free ports; in memory unless given a SQLite file. */
export async function startScratchTemporal(options: { dbFilename?: string } = {}): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    // keep test output to what fails; workers log every state change at INFO
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: toolPath(toolsDir, 'temporal') },
      ip: '127.0.0.1',
      extraArgs: ['--log-level', 'error'],
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
    },
  });
}

export async function startScratchDevchain(): Promise<
  ScratchService & { rpcUrl: string; dataDir: string; logFile: string; restart(): Promise<void> }
> {
  const dir = await tempDir('devchain');
  const port = await freePort();
  const options = { dataDir: join(dir.path, 'chain'), port, logFile: join(dir.path, 'devchain.log') };
  let chain = await startDevchain(options);
  return {
    rpcUrl: chain.rpcUrl,
    dataDir: options.dataDir,
    logFile: options.logFile,
    /** Kills the node (SIGKILL, no chance to tidy up) and starts it again on the same data. */
    async restart() {
      process.kill(chain.process.pid, 'SIGKILL');
      await chain.process.exited;
      chain = await startDevchain(options);
    },
    async stop() {
      await chain.process.stop();
      await dir.remove();
    },
  };
}
