import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { auditVerifyCommands } from './audit-verify.js';
import { auditReportCommand } from './audit-report.js';

export function auditCommands(program: Command, config: () => Config): void {
  const audit = program.command('audit').description('checks on the engine and its workflows');
  auditVerifyCommands(audit, config);

  audit
    .command('replay')
    .argument('[workflowId]', 'a workflow on the configured Temporal namespace, running or closed')
    .option('--run-id <runId>', 'a particular run (default: the latest)')
    .option('--all', 'every closed workflow of the namespace instead of one')
    .option('--since <time>', 'with --all: closed at or after this time (ISO-8601 with its zone, or 24h, 7d ago)')
    .option('--type <workflow>', 'with --all: only this workflow type (registerIdentity, anchorRecord, …)')
    .option('--json', 'with --all: print the summary as JSON {replayed, deterministic, failed}')
    .option(
      '--workflows <file>',
      "with --all: replay against this workflow code instead of this checkout's (a candidate release, before it is deployed)",
    )
    .description(
      "replay a workflow's history (or, with --all, every closed workflow's) against this checkout's workflow code; exit 1 when the code no longer reproduces one (a non-deterministic change)",
    )
    .action(async (workflowId: string | undefined, options: ReplayOptions) => {
      if (options.all) {
        if (workflowId !== undefined || options.runId !== undefined)
          throw new Error('give either a workflow id (and --run-id) or --all, not both');
        const { replayAll } = await import('./audit-replay-all.js');
        await replayAll(config(), options);
        return;
      }
      if (workflowId === undefined) throw new Error('give a workflow id to replay, or --all');
      for (const option of ['since', 'type', 'json', 'workflows'] as const)
        if (options[option] !== undefined) throw new Error(`--${option} goes with --all`);
      // loaded here: the Temporal worker and its native core are heavy for every other command
      const { NondeterminismError, replayWorkflow, quietReplayRuntime } = await import('../audit/replay.js');
      quietReplayRuntime();
      try {
        const replayed = await replayWorkflow({
          config: config(),
          workflowId,
          ...(options.runId ? { runId: options.runId } : {}),
        });
        console.log(
          `replayed ${replayed.workflowId} (${replayed.workflowType}, run ${replayed.runId}): ${replayed.events} events, deterministic`,
        );
      } catch (error) {
        if (!(error instanceof NondeterminismError)) throw error;
        console.error(`yilian: ${error.message}`);
        process.exitCode = 1;
      }
    });

  auditReportCommand(audit, config);
}

export interface ReplayOptions {
  runId?: string;
  all?: boolean;
  since?: string;
  type?: string;
  json?: boolean;
  workflows?: string;
}
