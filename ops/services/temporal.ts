import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { startManagedProcess, type ManagedProcess } from './managed-process.js';

export interface TemporalDevServerOptions {
  executable: string;
  host: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** The SQLite file and logs live here, so a restart keeps every workflow. */
  dataDir: string;
  logFile: string;
  /** The engine's `/codec` endpoint, so the Web UI offers to decode payloads there. */
  uiCodecEndpoint?: string;
  /** Server settings other than the dev server's defaults (`--dynamic-config-value key=value`), e.g. a cluster's lower limits. */
  dynamicConfig?: Readonly<Record<string, number | string | boolean>>;
}

/** `temporal server start-dev` with its state in a SQLite file: the embedded workflow engine. */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<ManagedProcess> {
  await mkdir(options.dataDir, { recursive: true });
  const address = `${options.host}:${options.port}`;
  return startManagedProcess({
    name: 'temporal',
    command: options.executable,
    args: [
      'server',
      'start-dev',
      '--ip',
      options.host,
      '--port',
      String(options.port),
      '--ui-ip',
      options.host,
      '--ui-port',
      String(options.uiPort),
      '--db-filename',
      join(options.dataDir, 'temporal.db'),
      '--log-level',
      'warn',
      ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : []),
      ...Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => [
        '--dynamic-config-value',
        `${key}=${JSON.stringify(value)}`,
      ]),
      // the dev server always creates `default`; any other namespace must be asked for
      ...(options.namespace === 'default' ? [] : ['--namespace', options.namespace]),
    ],
    logFile: options.logFile,
    readyTimeoutMs: 120_000,
    ready: async () => {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return (await fetch(`http://${options.host}:${options.uiPort}/`)).ok;
      } finally {
        await connection.close();
      }
    },
  });
}
