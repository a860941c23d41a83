import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runStory, type StoryOutcome } from '../../ops/demo/story.js';
import { SCRATCH_PASSWORD, SCRATCH_SCRYPT, type ScratchEngine } from '../../ops/scratch/engine.js';
import { loadOrCreateCa } from '../../ops/chain/ca.js';
import { issueOrgCredential } from '../../connectors/erp/credentials.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { Needle } from './privacy-scan.js';

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

/** API credentials (`yilian org issue`) for the story's regulator and manufacturer, whom the engine holds. */
export async function storyCredentials(
  stack: ScratchEngine,
  outcome: StoryOutcome,
): Promise<Record<'regulator' | 'manufacturer', string>> {
  const issue = async (name: string) => {
    const identity = await stack.engine.state.localIdentity(`${name} (${outcome.runId})`);
    if (!identity) throw new Error(`the story made no ${name}`);
    return (await issueOrgCredential(stack.engine.state, identity)).token;
  };
  return { regulator: await issue('Regulator'), manufacturer: await issue('Manufacturer') };
}

/** What the story's record and codes look like wherever they leak: its text, the patient's identifier, every trace code. */
export function storySecrets(outcome: StoryOutcome): Needle[] {
  return [
    { label: 'record text (patient name)', bytes: utf8ToBytes('Huckleberry') },
    { label: 'record text (address)', bytes: utf8ToBytes('721 SPRING STREET') },
    { label: 'record text (finding)', bytes: utf8ToBytes('Bacteria identified in Stool') },
    { label: 'patient identifier', bytes: utf8ToBytes(outcome.patient.identifier) },
    ...outcome.traceCodes.map((code, i) => ({ label: `trace code ${i}`, bytes: utf8ToBytes(code) })),
  ];
}

/** The keys the engine holds: its identities' signing keys, the CA's, the payload codec's. */
export async function engineSecrets(stack: ScratchEngine, outcome: StoryOutcome): Promise<Needle[]> {
  const identities = await Promise.all(
    outcome.localIdentities.map(async (address) => ({
      label: `engine key of ${address}`,
      bytes: (await stack.engine.keyring.identity(address)).secretKey,
    })),
  );
  const ca = await loadOrCreateCa(stack.home, SCRATCH_PASSWORD);
  return [
    ...identities,
    { label: 'CA signing key', bytes: ca.secretKey },
    { label: 'payload codec key', bytes: Buffer.from(stack.codecKeys.split(':')[1] as string, 'base64') },
  ];
}
