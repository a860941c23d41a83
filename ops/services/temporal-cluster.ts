import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { startManagedProcess, type ManagedProcess } from './managed-process.js';
import { freePort, freePortBetween } from './ports.js';
import { psql, startPostgres, type PostgresService } from './postgres.js';

const run = promisify(execFile);

/** The Temporal server as built by `ops/bootstrap --with cluster` (`<tools>/temporal-server-<v>/`). */
export interface TemporalServerBuild {
  /** `temporal-server`: frontend, history, matching and worker services in one process. */
  server: string;
  /** `temporal-sql-tool`: creates and migrates the schema. */
  sqlTool: string;
  /** The server module's `schema/postgresql/v12`, whose versioned migrations the tool applies. */
  schemaDir: string;
  /** The Temporal CLI (the embedded stack's tool), which registers the namespace. */
  temporalCli: string;
}

export interface TemporalClusterOptions {
  build: TemporalServerBuild;
  /** PostgreSQL's cluster, the server's configuration and both logs. */
  dataDir: string;
  namespace: string;
  /**
   * Fixed when the schema is made (a history shard is the unit of the history service's write
   * throughput and of scaling it out); later starts must give the same number.
   */
  historyShards: number;
}

export interface TemporalCluster {
  /** The frontend's host:port. */
  address: string;
  namespace: string;
  postgres: PostgresService;
  server: ManagedProcess;
  stop(): Promise<void>;
}

const DATABASES = { temporal: 'temporal', visibility: 'temporal_visibility' } as const;
const ROLE = 'temporal';

/**
 * A Temporal cluster as production runs one, on this machine: the real `temporal-server` with its
 * SQL persistence on PostgreSQL (Debian's), not the CLI's dev server with SQLite. Everything
 * listens on 127.0.0.1 on free ports; the schema is set up on first start and migrated on later
 * ones, and the namespace is registered if missing.
 */
export async function startTemporalCluster(options: TemporalClusterOptions): Promise<TemporalCluster> {
  await mkdir(options.dataDir, { recursive: true });
  const postgres = await startPostgres({
    dataDir: join(options.dataDir, 'postgres'),
    port: await freePort(),
    logFile: join(options.dataDir, 'postgres.log'),
  });
  try {
    await createSchema(postgres, options);
    const ports = {
      frontend: await freePort(),
      frontendHttp: await freePort(),
      history: await freePort(),
      matching: await freePort(),
      worker: await freePort(),
      // below the kernel's ephemeral range: the server keeps these in a smallint column
      membership: [
        await freePortBetween(20000, 32000),
        await freePortBetween(20000, 32000),
        await freePortBetween(20000, 32000),
        await freePortBetween(20000, 32000),
      ],
    };
    const configFile = join(options.dataDir, 'temporal-server.yaml');
    // JSON is YAML: the server reads this file as its configuration
    await writeFile(configFile, JSON.stringify(serverConfig(postgres, ports, options.historyShards), null, 2));
    const address = `127.0.0.1:${String(ports.frontend)}`;
    const server = await startManagedProcess({
      name: 'temporal-server',
      command: options.build.server,
      args: ['--config-file', configFile, '--allow-no-auth', 'start'],
      logFile: join(options.dataDir, 'temporal-server.log'),
      readyTimeoutMs: 120_000,
      ready: () => frontendAnswers(address),
    });
    await registerNamespace(options.build.temporalCli, address, options.namespace);
    return {
      address,
      namespace: options.namespace,
      postgres,
      server,
      async stop() {
        await server.stop();
        await postgres.process.stop();
      },
    };
  } catch (error) {
    await postgres.process.stop();
    throw error;
  }
}

async function createSchema(postgres: PostgresService, options: TemporalClusterOptions): Promise<void> {
  await psql(
    postgres,
    `do $$ begin if not exists (select from pg_roles where rolname = '${ROLE}') then create role ${ROLE} login password '${ROLE}' createdb; end if; end $$`,
  );
  const tool = (database: string, ...args: string[]) =>
    run(options.build.sqlTool, [
      '--plugin',
      'postgres12',
      '--ep',
      postgres.host,
      '--port',
      String(postgres.port),
      '--user',
      ROLE,
      '--password',
      ROLE,
      '--db',
      database,
      ...args,
    ]);
  const marker = join(options.dataDir, 'schema-created');
  for (const [kind, database] of Object.entries(DATABASES)) {
    if (!existsSync(marker)) {
      await tool(database, 'create-database');
      await tool(database, 'setup-schema', '-v', '0.0');
    }
    // applies only the versions newer than the database's: a no-op once up to date
    await tool(database, 'update-schema', '-d', join(options.build.schemaDir, kind, 'versioned'));
  }
  await writeFile(marker, `${String(options.historyShards)} history shards\n`);
}

interface ServerPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  membership: number[];
}

/** Temporal's `development-postgres12.yaml`, on our ports, without archival or pprof. */
function serverConfig(postgres: PostgresService, ports: ServerPorts, historyShards: number): object {
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${postgres.host}:${String(postgres.port)}`,
      connectProtocol: 'tcp',
      user: ROLE,
      password: ROLE,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number | undefined, extra: object = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnLocalHost: true, ...extra },
  });
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: historyShards,
      datastores: {
        'postgres-default': datastore(DATABASES.temporal, 20),
        'postgres-visibility': datastore(DATABASES.visibility, 4),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: service(ports.frontend, ports.membership[0], { httpPort: ports.frontendHttp }),
      history: service(ports.history, ports.membership[1]),
      matching: service(ports.matching, ports.membership[2]),
      worker: service(ports.worker, ports.membership[3]),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `127.0.0.1:${String(ports.frontend)}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
  };
}

async function frontendAnswers(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.getSystemInfo({});
    return true;
  } finally {
    await connection.close();
  }
}

/**
 * Registers the namespace if it is missing, then waits until the frontend knows it: a real
 * cluster's namespace cache refreshes every few seconds, and a start before that fails.
 */
async function registerNamespace(cli: string, address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const service = connection.workflowService;
    const known = () =>
      service.describeNamespace({ namespace }).then(
        () => true,
        () => false,
      );
    // a week of closed runs, for operators who look back at one
    if (!(await known()))
      await run(cli, [
        'operator',
        'namespace',
        'create',
        '--address',
        address,
        '--namespace',
        namespace,
        '--retention',
        '7d',
      ]);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const listed = await service.listWorkflowExecutions({ namespace, pageSize: 1 }).then(
        () => true,
        () => false,
      );
      if (listed) return;
      if (Date.now() > deadline)
        throw new Error(`the Temporal frontend at ${address} did not know namespace ${namespace} within 60 s`);
      await sleep(500);
    }
  } finally {
    await connection.close();
  }
}
