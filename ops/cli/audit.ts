import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { auditVerifyCommands } from './audit-verify.js';

export function auditCommands(program: Command, config: () => Config): void {
  const audit = program.command('audit').description('checks on the engine and its workflows');
  auditVerifyCommands(audit, config);

  audit
    .command('replay')
    .argument('<workflowId>', 'a workflow on the configured Temporal namespace, running or closed')
    .option('--run-id <runId>', 'a particular run (default: the latest)')
    .description(
      "replay a workflow's history against this checkout's workflow code; exit 1 when the code no longer reproduces it (a non-deterministic change)",
    )
    .action(async (workflowId: string, options: { runId?: string }) => {
      // loaded here: the Temporal worker and its native core are heavy for every other command
      const [{ DefaultLogger, Runtime }, { NondeterminismError, replayWorkflow }] = await Promise.all([
        import('@temporalio/worker'),
        import('../audit/replay.js'),
      ]);
      // the replay worker's own logs would only repeat the one line printed here
      Runtime.install({
        logger: new DefaultLogger('ERROR'),
        telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
      });
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
}
