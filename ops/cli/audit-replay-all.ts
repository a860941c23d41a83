import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Config } from '../config/index.js';
import { parseTime } from '../../core/audit/period.js';
import { checkWorkflowType, replayClosedWorkflows } from '../audit/replay-all.js';
import { quietReplayRuntime } from '../audit/replay.js';
import type { ReplayOptions } from './audit.js';

/** `yilian audit replay --all`: a summary on stdout, a progress line on a terminal's stderr, exit 1 on any failure. */
export async function replayAll(config: Config, options: ReplayOptions): Promise<void> {
  // bad input is refused before anything connects
  const since = options.since === undefined ? undefined : parseTime(options.since, '--since');
  const type = options.type === undefined ? undefined : checkWorkflowType(options.type);
  const workflowsPath = options.workflows === undefined ? undefined : resolve(options.workflows);
  if (workflowsPath && !(await stat(workflowsPath).catch(() => undefined))?.isFile())
    throw new Error(`--workflows must name a file of workflow code; there is none at ${workflowsPath}`);
  quietReplayRuntime();
  const terminal = process.stderr.isTTY;
  const summary = await replayClosedWorkflows({
    config,
    ...(since ? { since } : {}),
    ...(type ? { type } : {}),
    ...(workflowsPath ? { workflowsPath } : {}),
    ...(terminal
      ? { progress: (done: number, total: number) => process.stderr.write(`\rreplaying ${done}/${total}`) }
      : {}),
  });
  if (terminal && summary.replayed > 0) process.stderr.write('\n');
  if (options.json) console.log(JSON.stringify(summary));
  else {
    const scope = [
      type ? `of type ${type}` : undefined,
      since ? `closed since ${since.toISOString()}` : undefined,
    ].filter(Boolean);
    const code = workflowsPath ? `the workflow code in ${workflowsPath}` : "this checkout's workflow code";
    console.log(
      `replayed ${summary.replayed} closed workflows${scope.length ? ` ${scope.join(', ')}` : ''} on ${code}: ${summary.deterministic} deterministic, ${summary.failed.length} failed`,
    );
    for (const failure of summary.failed)
      console.log(
        `failed: ${failure.workflowId} (${failure.type}, run ${failure.runId}): ${failure.reason.replace(/\s+/g, ' ')}`,
      );
  }
  if (summary.failed.length > 0) process.exitCode = 1;
}
