import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runStory, type StoryOutcome } from '../../ops/demo/story.js';
import { SCRATCH_PASSWORD, SCRATCH_SCRYPT, type ScratchEngine } from '../../ops/scratch/engine.js';

export const storyHl7 = () => readFile(new URL('../fixtures/hl7/ORU-R01-01.hl7', import.meta.url), 'utf8');

/** The demo's story on a test engine: wallets in its data dir, cheap scrypt, the ORU^R01 fixture. */
export async function runStoryOn(
  stack: ScratchEngine,
  options: { batchSize: number; say(line: string): void },
): Promise<StoryOutcome> {
  return runStory({
    workflows: stack.workflows,
    operator: stack.operator,
    apiUrl: stack.apiUrl,
    chain: stack.chain,
    contracts: stack.engine.contracts,
    store: stack.engine.store,
    walletsDir: join(stack.home, 'wallets'),
    walletPassword: SCRATCH_PASSWORD,
    scrypt: SCRATCH_SCRYPT,
    hl7: await storyHl7(),
    ...options,
  });
}
