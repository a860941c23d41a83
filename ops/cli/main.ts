import { Command } from 'commander';
import { loadConfig, redactConfig, envVariables, type Config } from '../config/index.js';
import { storageCommands } from './storage.js';
import { chainCommands } from './chain.js';
import { auditCommands } from './audit.js';
import { demoCommand } from './demo.js';
import { walletCommands } from './wallet.js';
import { operatorCommands } from './operator.js';
import { queueCommands } from './queue.js';
import { orgCommands } from './org.js';
import { caCommands } from './ca.js';
import { consortiumCommands } from './consortium.js';

const program = new Command('yilian')
  .description('Yilian (医链): private medical-record sharing and drug tracing on Temporal, IPFS and FISCO BCOS')
  .showHelpAfterError();

let config: Config | undefined;
const currentConfig = (): Config => (config ??= loadConfig());
// what the CLI writes (wallets, keystores, stored content) is its user's alone
process.umask(0o077);

program
  .command('config')
  .description('print the effective configuration (secrets masked) and the variables that set it')
  .action(() => {
    console.log(JSON.stringify(redactConfig(currentConfig()), null, 2));
    console.log(
      `\nset with: ${envVariables.map((variable) => variable.name).join(', ')}, or a JSON file in YILIAN_CONFIG`,
    );
  });

storageCommands(program, currentConfig);
chainCommands(program, currentConfig);
auditCommands(program, currentConfig);
demoCommand(program, currentConfig);
walletCommands(program, currentConfig);
operatorCommands(program, currentConfig);
queueCommands(program, currentConfig);
orgCommands(program, currentConfig);
caCommands(program, currentConfig);
consortiumCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // a failed workflow's message is generic; what went wrong is in its chain of causes
  const messages: string[] = [];
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) messages.push(cause.message);
  console.error(`yilian: ${messages.join(': ')}`);
  process.exitCode = 2;
}
