import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { repoRoot, type Config } from '../config/index.js';
import { keptSecret } from '../config/kept-secret.js';
import { runStory, summarizeStory } from '../demo/story.js';
import { startConsortium } from '../consortium/launch.js';
import { hospitalBFhir, runConsortiumStory } from '../consortium/story.js';
import { startHapiFhir } from '../services/hapi-fhir.js';
import { freePort } from '../services/ports.js';
import { defaultToolsDir, toolPath } from '../tools.js';
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
    .option(
      '--consortium',
      "the consortium's story instead, against engines it starts: one per organisation, one chain, one IPFS network (ops/consortium/story.ts)",
    )
    .option(
      '--dir <dir>',
      'with --consortium: where the organisations keep their data (kept); default a fresh folder, removed after',
    )
    .action(
      async (options: {
        hl7: string;
        batch: string;
        json?: boolean;
        consortium?: boolean;
        dir?: string;
        fhirUrl?: string;
      }) => {
        if (options.consortium) {
          await consortiumDemo(options.dir, options.fhirUrl);
          return;
        }
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
      },
    );
}

/**
 * `yilian demo --consortium`: a development consortium started for the story (ops/consortium/
 * launch.ts), the story told against it step by step, and the engines stopped. Exits 0 only if
 * every step verified.
 */
async function consortiumDemo(dir: string | undefined, fhirUrl: string | undefined): Promise<void> {
  const folder = dir ?? (await mkdtemp(join(tmpdir(), 'yilian-consortium-demo-')));
  const sample = (name: string) => readFile(join(repoRoot, 'test/fixtures/hl7', name), 'utf8');
  const stops: Array<() => Promise<void>> = [];
  try {
    const ehr = fhirUrl ?? (await startDemoFhir(folder, stops));
    const consortium = await startConsortium({
      dir: folder,
      say: (line) => console.log(line),
      env: await hospitalBFhir(ehr, join(folder, 'hospital-b-fhir.json')),
    });
    stops.push(() => consortium.stop());
    await runConsortiumStory({
      consortium,
      peopleDir: join(folder, 'people'),
      // the demo's people are made up, so one kept password guards all their wallets
      walletPassword: await keptSecret(join(folder, 'people'), 'demo-wallet-password', () =>
        randomBytes(18).toString('base64url'),
      ),
      samples: { result: await sample('ORU-R01-01.hl7'), prescription: await sample('RDE-O11-01.hl7') },
      fhirUrl: ehr,
      say: (line) => console.log(line),
    });
  } finally {
    console.log('stopping the engines');
    for (const stop of stops.reverse()) await stop();
    if (dir === undefined) await rm(folder, { recursive: true, force: true });
  }
}

/** Hospital B's EHR for the demo: HAPI FHIR from the tools dir, its data in the demo's folder. */
async function startDemoFhir(folder: string, stops: Array<() => Promise<void>>): Promise<string> {
  const executable = toolPath(process.env.YILIAN_TOOLS_DIR ?? defaultToolsDir(), 'hapi-fhir');
  if (
    !(await access(executable).then(
      () => true,
      () => false,
    ))
  )
    throw new Error(`no HAPI FHIR server at ${executable}: run ./ops/bootstrap --with fhir, or pass --fhir-url`);
  console.log("starting Hospital B's EHR (HAPI FHIR; 10-20 s)");
  const server = await startHapiFhir({
    executable,
    port: await freePort(),
    dataDir: join(folder, 'hospital-b-ehr', 'data'),
    logFile: join(folder, 'hospital-b-ehr', 'hapi-fhir.log'),
  });
  stops.push(() => server.process.stop());
  return server.url;
}
