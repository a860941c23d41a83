import { dirname, join, resolve } from 'node:path';
import { startTemporalCluster } from '../services/temporal-cluster.js';
import { defaultToolsDir, toolPath } from '../tools.js';

/**
 * `./ops/cluster [data dir]`: a Temporal cluster as production runs one — the Temporal server on
 * PostgreSQL — on this machine in the foreground, for running the engine and its workers against
 * an external Temporal (README § Production). Ctrl-C stops it; its data stays in the data dir
 * (default `.temporal-cluster`), so the next start finds every workflow.
 */
const dataDir = resolve(process.argv[2] ?? '.temporal-cluster');
const toolsDir = process.env.YILIAN_TOOLS_DIR ?? defaultToolsDir();
const server = toolPath(toolsDir, 'temporal-server');
const namespace = process.env.YILIAN_TEMPORAL_NAMESPACE ?? 'yilian';
const shards = Number(process.env.YILIAN_CLUSTER_HISTORY_SHARDS ?? '4');
if (!Number.isInteger(shards) || shards < 1) {
  console.error(
    `YILIAN_CLUSTER_HISTORY_SHARDS="${process.env.YILIAN_CLUSTER_HISTORY_SHARDS ?? ''}": expected a whole number ≥ 1`,
  );
  process.exit(2);
}
const cluster = await startTemporalCluster({
  build: {
    server,
    sqlTool: join(dirname(server), 'temporal-sql-tool'),
    schemaDir: join(dirname(server), 'schema-postgresql-v12'),
    temporalCli: toolPath(toolsDir, 'temporal'),
  },
  dataDir,
  namespace,
  historyShards: shards,
});
console.log(
  `Temporal cluster ready (temporal-server on PostgreSQL ${String(cluster.postgres.port)}, ${String(shards)} history shards, data in ${dataDir}). Point the engine and workers at it:\n` +
    `  export YILIAN_TEMPORAL_MODE=external YILIAN_TEMPORAL_ADDRESS=${cluster.address} YILIAN_TEMPORAL_NAMESPACE=${namespace}`,
);
const shutdown = { asked: false };
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    if (shutdown.asked) return;
    shutdown.asked = true;
    void cluster.stop().then(() => process.exit(0));
  });
await Promise.race([cluster.server.exited, cluster.postgres.process.exited]);
if (!shutdown.asked) {
  console.error('the Temporal cluster stopped on its own; see temporal-server.log and postgres.log in the data dir');
  await cluster.stop();
  process.exit(1);
}
