/**
 * `node --import tsx ops/bench/audit.ts [N]`: `yilian audit replay --all` and the audit report on a
 * scratch engine holding N closed workflows (grants refused at the grantee check: cheap to make,
 * each a real history with an activity and a failure), against replaying them one worker each as
 * `yilian audit replay <id>` does. Reports only.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/index.js';
import { startScratchEngine } from '../scratch/engine.js';
import { replayWorkflow } from '../audit/replay.js';
import { replayClosedWorkflows } from '../audit/replay-all.js';
import { auditReport } from '../audit/report.js';
import { mapLimited } from '../../core/audit/chain-scan.js';

const N = Number(process.argv[2] ?? 200);
const ONE_BY_ONE = 5;
const hex = (bytes: number) => `0x${randomBytes(bytes).toString('hex')}` as const;

const stack = await startScratchEngine();
try {
  await stack.startWorkers();
  const from = new Date();
  let made = Date.now();
  const ids = await mapLimited(
    Array.from({ length: N }, (_, i) => i),
    32,
    async () => {
      const handle = await stack.workflows.start.grantAccess({
        recordId: hex(32),
        cid: 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy',
        patient: hex(20),
        prekeyIndex: 0,
        grantee: hex(20),
        granteeKey: hex(128),
        rk: hex(128),
      });
      await handle.result().catch(() => undefined);
      return handle.workflowId;
    },
  );
  made = Date.now() - made;
  await stack.stopWorkers();
  const to = new Date();
  const config = loadConfig({
    YILIAN_HOME: stack.home,
    YILIAN_TEMPORAL_MODE: 'external',
    YILIAN_TEMPORAL_ADDRESS: stack.temporal.connection.options.address,
    YILIAN_TEMPORAL_NAMESPACE: stack.temporal.namespace ?? 'default',
    YILIAN_CODEC_KEYS: stack.codecKeys,
  });

  let started = Date.now();
  const summary = await replayClosedWorkflows({ config });
  const all = Date.now() - started;

  started = Date.now();
  for (const workflowId of ids.slice(0, ONE_BY_ONE)) await replayWorkflow({ config, workflowId });
  const each = (Date.now() - started) / ONE_BY_ONE;

  started = Date.now();
  const report = await auditReport(
    { chain: stack.chain, contracts: stack.engine.contracts, client: stack.client },
    { from, to },
  );
  const reported = Date.now() - started;

  // what a period of empty blocks costs (the dev chain seals one every 2 s): the scan reads each once
  const head = await stack.chain.getBlockNumber();
  const reads = 2_000;
  started = Date.now();
  await mapLimited(
    Array.from({ length: reads }, (_, i) => i % (head + 1)),
    8,
    (n) => stack.chain.rpc('getBlockByNumber', [stack.chain.settings.groupId, '', n, false, true]),
  );
  const perBlock = (Date.now() - started) / reads;

  console.log(`${N} grantAccess workflows made in ${(made / 1000).toFixed(1)} s`);
  console.log(
    `replay --all: ${summary.replayed} replayed (${summary.deterministic} deterministic) in ${(all / 1000).toFixed(1)} s, ` +
      `${(summary.replayed / (all / 1000)).toFixed(0)}/s including the one workflow bundle`,
  );
  console.log(`one worker each (yilian audit replay <id>): ${(each / 1000).toFixed(2)} s a workflow`);
  console.log(
    `report: ${report.counts.refused} refusals, blocks ${report.blocks?.first}–${report.blocks?.last} in ${(reported / 1000).toFixed(1)} s`,
  );
  console.log(
    `chain scan: ${(1000 / perBlock).toFixed(0)} blocks/s (${reads} block reads, 8 at a time): 100,000 blocks in ${((perBlock * 100_000) / 1000).toFixed(0)} s`,
  );
} finally {
  await stack.stop();
}
