import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startManagedProcess, type ManagedProcess } from './managed-process.js';

const run = promisify(execFile);

export interface KuboOptions {
  executable: string;
  /** The IPFS repo (IPFS_PATH); initialised on first start. */
  repo: string;
  apiPort: number;
  gatewayPort: number;
  logFile: string;
  /** No swarm, no DHT: a node that only serves this machine (tests, air-gapped sites). */
  offline: boolean;
}

export interface KuboService {
  apiUrl: string;
  process: ManagedProcess;
}

export async function startKubo(options: KuboOptions): Promise<KuboService> {
  const env = { ...process.env, IPFS_PATH: options.repo };
  const ipfs = (...args: string[]) => run(options.executable, args, { env });
  if (!existsSync(join(options.repo, 'config'))) {
    await ipfs('init', '--empty-repo', '--profile', options.offline ? 'test' : 'server');
  }
  await ipfs('config', 'Addresses.API', `/ip4/127.0.0.1/tcp/${options.apiPort}`);
  await ipfs('config', 'Addresses.Gateway', `/ip4/127.0.0.1/tcp/${options.gatewayPort}`);
  const apiUrl = `http://127.0.0.1:${options.apiPort}`;
  const daemon = await startManagedProcess({
    name: 'kubo',
    command: options.executable,
    args: ['daemon', ...(options.offline ? ['--offline'] : [])],
    env,
    logFile: options.logFile,
    ready: async () => (await fetch(`${apiUrl}/api/v0/id`, { method: 'POST' })).ok,
  });
  return { apiUrl, process: daemon };
}
