import type { Command } from 'commander';
import { inspectTransaction } from '../../activities/ledger/inspect-transaction.js';

export function chainCommands(program: Command): void {
  const chain = program.command('chain').description('the FISCO BCOS chain');

  chain
    .command('decode-tx')
    .argument('<hex>', 'a signed FISCO BCOS 3.x transaction (tars), as hex, 0x optional')
    .option('--json', 'print JSON')
    .description('decode a transaction, recompute its dataHash and recover its sender; exit 1 when it is invalid')
    .action((text: string, options: { json?: boolean }) => {
      const report = inspectTransaction(text);
      if (options.json) {
        console.log(JSON.stringify(report, null, 2));
      } else {
        for (const [name, value] of Object.entries(report.fields)) console.log(`${name.padEnd(20)} ${value}`);
        console.log(`${'dataHash'.padEnd(20)} ${report.dataHash}`);
        console.log(`${'sender'.padEnd(20)} ${report.sender ?? '(none)'}`);
        console.log(report.valid ? 'valid' : `INVALID: ${report.problems.join('; ')}`);
      }
      if (!report.valid) process.exitCode = 1;
    });
}
