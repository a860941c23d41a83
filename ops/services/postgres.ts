import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startManagedProcess, type ManagedProcess } from './managed-process.js';

const run = promisify(execFile);

/** Debian's PostgreSQL (package `postgresql`): its server programs are not on the PATH. */
const DEBIAN_BIN = '/usr/lib/postgresql';

export interface PostgresService {
  host: string;
  port: number;
  /** The superuser, trusted on loopback only (the cluster is a throwaway on 127.0.0.1). */
  user: string;
  process: ManagedProcess;
}

/** The newest Debian PostgreSQL server installed, or a clear error saying how to get one. */
export function postgresBinDir(): string {
  const versions = existsSync(DEBIAN_BIN)
    ? readdirSync(DEBIAN_BIN)
        .filter((name) => existsSync(join(DEBIAN_BIN, name, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest === undefined)
    throw new Error(`no PostgreSQL server under ${DEBIAN_BIN}: install Debian's (ops/bootstrap --with cluster does)`);
  return join(DEBIAN_BIN, newest, 'bin');
}

/**
 * A PostgreSQL server of its own on 127.0.0.1:`port`, its cluster in `dataDir` (made on first
 * start). PostgreSQL refuses to run as root, so as root the cluster belongs to Debian's `postgres`
 * user and the programs run as that user.
 */
export async function startPostgres(options: {
  dataDir: string;
  port: number;
  logFile: string;
}): Promise<PostgresService> {
  const bin = postgresBinDir();
  const asRoot = userInfo().uid === 0;
  const owner = asRoot ? await postgresUser() : undefined;
  const as = (command: string, args: string[]) =>
    owner ? { command: 'runuser', args: ['-u', 'postgres', '--', command, ...args] } : { command, args };
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  if (owner) await chown(options.dataDir, owner.uid, owner.gid);
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
    const initdb = as(join(bin, 'initdb'), ['-D', options.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    await run(initdb.command, initdb.args);
  }
  const server = as(join(bin, 'postgres'), [
    '-D',
    options.dataDir,
    '-h',
    '127.0.0.1',
    '-p',
    String(options.port),
    // its socket in the data dir, not /var/run/postgresql (which only the system's cluster may use)
    '-k',
    options.dataDir,
  ]);
  const isReady = as(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(options.port), '-U', 'postgres']);
  const managed = await startManagedProcess({
    name: 'postgres',
    command: server.command,
    args: server.args,
    logFile: options.logFile,
    ready: async () => {
      await run(isReady.command, isReady.args);
      return true;
    },
  });
  return { host: '127.0.0.1', port: options.port, user: 'postgres', process: managed };
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
    throw new Error("running as root needs Debian's postgres user (package postgresql) to run PostgreSQL as");
  });
  const uid = Number(stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  return { uid, gid };
}

/** Runs SQL as the superuser through psql, stopping at the first error. */
export async function psql(service: PostgresService, sql: string): Promise<void> {
  await run(join(postgresBinDir(), 'psql'), [
    '-h',
    service.host,
    '-p',
    String(service.port),
    '-U',
    service.user,
    '-v',
    'ON_ERROR_STOP=1',
    '-c',
    sql,
  ]);
}
