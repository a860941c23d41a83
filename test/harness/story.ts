import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runStory, type StoryOutcome } from '../../ops/demo/story.js';
import { TEST_PASSWORD, TEST_SCRYPT, type TestEngine } from '../../ops/scratch/engine.js';

export const storyHl7 = () => readFile(new URL('../fixtures/hl7/ORU-R01-01.hl7', import.meta.url), 'utf8');

/** The demo's story on a test engine: wallets in its data dir, cheap scrypt, the ORU^R01 fixture. */
export async function runStoryOn(stack: TestEngine, options: { batchSize: number; say(line: string): void }): Promise<StoryOutcome> {
  return runStory({
    client: stack.client,
    taskQueue: stack.taskQueue,
    apiUrl: stack.apiUrl,
    chain: stack.chain,
    contracts: stack.engine.contracts,
    store: stack.engine.store,
    walletsDir: join(stack.home, 'wallets'),
    walletPassword: TEST_PASSWORD,
    scrypt: TEST_SCRYPT,
    hl7: await storyHl7(),
    ...options,
  });
}
