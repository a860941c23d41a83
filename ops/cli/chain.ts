import type { Command } from 'commander';
import { inspectTransaction } from '../../core/ledger/inspect-transaction.js';
import type { Config } from '../config/index.js';
import { deployFromConfig } from '../chain/connect.js';

export function chainCommands(program: Command, config: () => Config): void {
  const chain = program.command('chain').description('the FISCO BCOS chain');

  chain
    .command('deploy')
    .description(
      'deploy Directory, RecordRegistry and DrugTrace from the CA account (keystore in the data dir) unless they are already live; record their addresses in the data dir',
    )
    .action(async () => {
      const { deployment, created } = await deployFromConfig(config());
      console.log(JSON.stringify({ ...deployment, created }, null, 2));
    });

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
