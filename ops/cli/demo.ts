import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { repoRoot, type Config } from '../config/index.js';
import { keptSecret } from '../config/kept-secret.js';
import { runStory, summarizeStory } from '../demo/story.js';
import { connectEngine } from './engine-client.js';
import { operatorSigner } from '../engine/operators.js';
import { MAX_BATCH_ITEMS } from '../../native/index.js';

export function demoCommand(program: Command, config: () => Config): void {
  program
    .command('demo')
    .description(
      'the seed story end to end against a running `./ops/up`, printed step by step; exits 0 only if every step verified',
    )
    .option(
      '--hl7 <file>',
      'the HL7 v2 message taken as the record',
      join(repoRoot, 'test/fixtures/hl7/ORU-R01-01.hl7'),
    )
    .option('--batch <items>', 'items in the production batch', '100')
    .option('--json', 'print the steps on stderr and the outcome as JSON on stdout')
    .action(async (options: { hl7: string; batch: string; json?: boolean }) => {
      const settings = config();
      const batchSize = Number(options.batch);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_ITEMS) {
        throw new Error(
          `--batch must be a whole number from 1 to ${MAX_BATCH_ITEMS} (the items one proof carries), not ${options.batch}`,
        );
      }
      const engine = await connectEngine(settings);
      try {
        const outcome = await runStory({
          ...engine,
          operator: await operatorSigner(settings),
          walletsDir: join(settings.home, 'demo-wallets'),
          // the demo's people are made up, so one kept password guards all their wallets
          walletPassword: await keptSecret(settings.home, 'demo-wallet-password', () =>
            randomBytes(18).toString('base64url'),
          ),
          hl7: await readFile(options.hl7, 'utf8'),
          batchSize,
          say: (line) => (options.json ? console.error(line) : console.log(line)),
        });
        if (options.json) console.log(JSON.stringify(summarizeStory(outcome), null, 2));
      } finally {
        await engine.close();
      }
    });
}
