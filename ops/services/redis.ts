import { connect } from 'node:net';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { startManagedProcess, type ManagedProcess } from './managed-process.js';

export interface RedisOptions {
  executable: string;
  port: number;
  /** Where the append-only file lives; omit for a throwaway server that persists nothing. */
  dataDir?: string;
  logFile: string;
  /** Further `--name value` settings after ours, which they override (tests of unsafe settings). */
  extraArgs?: string[];
}

export interface RedisService {
  url: string;
  process: ManagedProcess;
}

/**
 * The embedded Redis holds the intake queue, where a message is acknowledged once it is written:
 * every write is fsync'd before Redis replies (`appendfsync always`; it batches the writes of one
 * event-loop turn into one fsync, so a pipelined burst shares it), and a full Redis refuses writes
 * instead of evicting queued messages (`noeviction`). ops/services/redis-durability.ts holds an
 * external Redis to the same settings.
 */
export async function startRedis(options: RedisOptions): Promise<RedisService> {
  const persistence = options.dataDir
    ? ['--dir', options.dataDir, '--appendonly', 'yes', '--appendfsync', 'always']
    : ['--save', '', '--appendonly', 'no'];
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const server = await startManagedProcess({
    name: 'redis',
    command: options.executable,
    args: [
      '--bind',
      '127.0.0.1',
      '--port',
      String(options.port),
      '--protected-mode',
      'yes',
      '--daemonize',
      'no',
      ...persistence,
      '--maxmemory-policy',
      'noeviction',
      ...(options.extraArgs ?? []),
    ],
    logFile: options.logFile,
    ready: () => pingRedis('127.0.0.1', options.port),
  });
  return { url: `redis://127.0.0.1:${options.port}`, process: server };
}

/** A raw PING, so that readiness checks do not depend on a client library's reconnect logic. */
export function pingRedis(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export const redisDataDir = (home: string) => join(home, 'redis');
