import { join } from 'node:path';
import { repoRoot } from '../config/index.js';
import { startManagedProcess, type ManagedProcess } from './managed-process.js';

export interface DevchainOptions {
  dataDir: string;
  port: number;
  logFile: string;
  chainId?: string;
  groupId?: string;
}

export interface DevchainService {
  rpcUrl: string;
  process: ManagedProcess;
}

/** The dev chain as its own process, as `./ops/up` runs it: FISCO BCOS 3.x JSON-RPC on loopback. */
export async function startDevchain(options: DevchainOptions): Promise<DevchainService> {
  const rpcUrl = `http://127.0.0.1:${options.port}`;
  const groupId = options.groupId ?? 'group0';
  const daemon = await startManagedProcess({
    name: 'devchain',
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      join(repoRoot, 'ops/devchain/main.ts'),
      '--data',
      options.dataDir,
      '--port',
      String(options.port),
      '--chain',
      options.chainId ?? 'chain0',
      '--group',
      groupId,
    ],
    logFile: options.logFile,
    readyTimeoutMs: 60_000,
    ready: async () => {
      const response = await fetch(rpcUrl, {
        method: 'POST',
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getBlockNumber', params: [groupId, ''] }),
      });
      return response.ok && typeof ((await response.json()) as { result?: unknown }).result === 'number';
    },
  });
  return { rpcUrl, process: daemon };
}
