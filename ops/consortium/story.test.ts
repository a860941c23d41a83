import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hexToBytes } from 'viem';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { decodePrekeyBundle, decryptKeystore } from '../../core/keys/index.js';
import { keystoreFiles, readKeystoreFile } from '../../core/keys/node/keystore-file.js';
import { normalizeTraceCode } from '../../core/crypto/index.js';
import { filesUnder, findNeedles, readAll, type Needle } from '../../test/harness/privacy-scan.js';
import { EngineList } from '../../wallet/engine-list.js';
import { engineListFile } from '../../wallet/node/engine-list-file.js';
import { repoRoot } from '../config/index.js';
import { SCRATCH_PASSWORD, SCRATCH_SCRYPT } from '../scratch/engine.js';
import { tempDir } from '../scratch/services.js';
import { startConsortium, type Consortium } from './launch.js';
import { runYilian, withoutYilian } from '../../test/harness/cli-process.js';
import { forgeInboxItem } from './lying-engine.js';
import { hospitalBFhir, runConsortiumStory, type ConsortiumStoryOutcome } from './story.js';
import { scratchFhirServer, type ScratchFhirServer } from '../scratch/fhir.js';

/** One request a wallet made, as the engine it went to saw it. */
interface SentRequest {
  origin: string;
  method: string;
  target: string;
  body: string;
}

let dir: Awaited<ReturnType<typeof tempDir>>;
let consortium: Consortium | undefined;
let fhir: ScratchFhirServer | undefined;
let told: ConsortiumStoryOutcome | undefined;
const story = () => told ?? assert.fail('the story did not run to its end');
/** Every HTTP request this process made while the story ran, in order: the people's wallets are in it. */
const sent: SentRequest[] = [];
const lines: string[] = [];

before(async () => {
  dir = await tempDir('consortium-story');
  fhir = await scratchFhirServer();
  consortium = await startConsortium({
    dir: dir.path,
    scrypt: SCRATCH_SCRYPT,
    env: await hospitalBFhir(fhir.url, join(dir.path, 'hospital-b-fhir.json')),
  });
  const sample = (name: string) => readFile(join(repoRoot, 'test/fixtures/hl7', name), 'utf8');
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    sent.push({
      origin: url.origin,
      method: init?.method ?? 'GET',
      target: `${url.pathname}${url.search}`,
      body: typeof init?.body === 'string' ? init.body : '',
    });
    return realFetch(input, init);
  };
  try {
    told = await runConsortiumStory({
      consortium,
      peopleDir: join(dir.path, 'people'),
      walletPassword: SCRATCH_PASSWORD,
      scrypt: SCRATCH_SCRYPT,
      samples: {
        result: await sample('ORU-R01-01.hl7'),
        prescription: await sample('RDE-O11-01.hl7'),
      },
      fhirUrl: fhir.url,
      say: (line) => lines.push(line),
    });
  } finally {
    globalThis.fetch = realFetch;
  }
});
after(async () => {
  // the steps as far as they got: what a failed start-up or story did
  if (!told) console.log(lines.join('\n'));
  await consortium?.stop();
  await fhir?.stop();
  await dir.remove();
});

const engine = (slug: string) => (consortium ?? assert.fail('the consortium did not start')).engine(slug);

test("one wallet, two hospitals: both hospitals' records in one timeline, each with its author and hospital", () => {
  const outcome = story();
  const entry = (type: RegExp) => {
    const found = outcome.timeline.entries.find((e) => type.test(e.record.record.split('\r')[0] ?? ''));
    return found ?? assert.fail(`no ${type.source} in the timeline`);
  };
  const findRecord = (pattern: RegExp, what: string) =>
    outcome.timeline.entries.find((e) => pattern.test(e.record.record)) ?? assert.fail(`no ${what} in the timeline`);
  const [result, note, prescription] = [
    entry(/\|ORU\^R01/),
    findRecord(/"resourceType"\s*:\s*"DiagnosticReport"[^]*blood-count/, "B's blood count (FHIR)"),
    entry(/\|RDE\^O11/),
  ];
  for (const [what, item, hospital] of [
    ['the lab result', result, 'hospital-a'],
    ['the blood count', note, 'hospital-b'],
    ['the prescription', prescription, 'hospital-a'],
  ] as const) {
    assert.equal(item.engine.apiUrl, engine(hospital).apiUrl, `${what} came through ${hospital}'s engine`);
    assert.equal(
      item.record.organisation?.address,
      engine(hospital).account,
      `${what} is ${hospital}'s by the Directory`,
    );
    assert.equal(item.record.organisation.name, engine(hospital).org.name);
  }
  assert.deepEqual(
    outcome.timeline.entries.map((e) => e.record.createdAt),
    outcome.timeline.entries.map((e) => e.record.createdAt).sort((x, y) => x - y),
    'one timeline, oldest first',
  );
  assert.deepEqual(outcome.timeline.problems, []);
});

test('each engine is given its own prekeys, and none is told what another delivered', async () => {
  const outcome = story();
  const list = await EngineList.open(engineListFile(outcome.people.alice.dir));
  const [a, b] = [list.engine(engine('hospital-a').apiUrl), list.engine(engine('hospital-b').apiUrl)];
  assert.ok(a.prekeys.length > 0 && b.prekeys.length > 0);
  assert.deepEqual(
    a.prekeys.filter((id) => b.prekeys.includes(id)),
    [],
    'no prekey given to two engines',
  );
  // what each engine was actually sent: the bundles posted to it hold its own prekeys alone
  for (const link of [a, b]) {
    const published = sent
      .filter((r) => r.origin === link.apiUrl && r.target === '/v1/prekeys')
      .flatMap((r) => decodePrekeyBundle(hexToBytes((JSON.parse(r.body) as { bundle: `0x${string}` }).bundle)).prekeys)
      .map((prekey) => prekey.index);
    assert.deepEqual(published.sort(), [...link.prekeys].sort(), `prekeys sent to ${link.name}`);
  }

  // a grant tells the grantee's engine one record's id and CID, which its grantee needs to read it
  const grants = sent.flatMap((r, index) =>
    r.target === '/v1/grants'
      ? [{ index, origin: r.origin, recordId: (JSON.parse(r.body) as { recordId: string }).recordId }]
      : [],
  );
  assert.equal(grants.length, 2, 'the grant to Dr. Carol and the one to Phil');
  // otherwise the record ids and CIDs an engine delivered are in no request to any other engine
  for (const entry of outcome.timeline.entries) {
    const secrets = [entry.record.recordId.slice(2), entry.item.cid];
    for (const [index, request] of sent.entries()) {
      if (request.origin === entry.engine.apiUrl) continue;
      const granted = grants.some(
        (g) => g.recordId === entry.record.recordId && g.origin === request.origin && g.index <= index,
      );
      if (granted) continue;
      const text = `${request.target}\n${request.body}`.toLowerCase();
      for (const secret of secrets)
        assert.ok(
          !text.includes(secret.toLowerCase()),
          `${request.method} ${request.origin}${request.target} names ${secret}, which ${entry.engine.name} delivered`,
        );
    }
  }
  assert.ok(
    sent.some((r) => r.origin === engine('hospital-b').apiUrl && r.target.startsWith('/inbox/')),
    'the recording saw the wallet’s requests',
  );
});

test("a record written at A, granted through B's engine, read by B's doctor through B alone", () => {
  const outcome = story();
  assert.equal(outcome.readByCarol.record, outcome.grantedRecord.record.record);
  assert.equal(outcome.readByCarol.organisation?.address, engine('hospital-a').account);
  // from the grant on, whatever names the record or its content went to B's engine alone
  const grant = sent.findIndex((r) => r.target === '/v1/grants');
  const { recordId } = outcome.grantedRecord.record;
  const { cid } = outcome.grantedRecord.item;
  const naming = sent
    .slice(grant)
    .filter((r) => `${r.target}\n${r.body}`.toLowerCase().includes(recordId.slice(2)) || r.target.includes(cid));
  assert.ok(
    naming.some((r) => r.target === `/v1/blocks/${cid}`),
    'Dr. Carol read the content through a block gateway',
  );
  // Alice still reads her own record at A; anyone else reads it at B alone
  for (const request of naming.filter((r) => r.origin !== engine('hospital-a').apiUrl))
    assert.equal(request.origin, engine('hospital-b').apiUrl, `${request.method} ${request.target} went to B`);
});

test('an engine that lies is caught by the wallet, and an engine down loses nothing', () => {
  const outcome = story();
  // the forged items: content of another record in the note's place, and a prekey B was never given
  assert.deepEqual(
    outcome.lies.map((lie) => lie.step),
    ['decrypt', 'inbox'],
  );
  for (const lie of outcome.lies) assert.equal(lie.engine.apiUrl, engine('hospital-b').apiUrl);
  // after B's engine was down: A's three records and B's two, the one B's system held among them
  const hospitals = outcome.timeline.entries.map((e) => e.record.organisation?.name);
  assert.deepEqual([...hospitals].sort(), ['Hospital A', 'Hospital A', 'Hospital A', 'Hospital B', 'Hospital B']);
  assert.ok(
    outcome.timeline.entries.some((e) => e.record.record.includes(`follow-up-${outcome.runId}`)),
    'the report B’s EHR wrote while its engine was down',
  );
  assert.deepEqual(outcome.timeline.problems, []);
});

test('`yilian wallet timeline` and `wallet engines list` show the same, from the wallet folder alone', async () => {
  const outcome = story();
  const env = { ...withoutYilian(process.env), YILIAN_WALLET_PASSWORD: SCRATCH_PASSWORD };
  const listed = await runYilian(['wallet', 'engines', 'list', '--dir', outcome.people.alice.dir], { env });
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(
    listed.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { name: string }).name),
    ['Hospital A', 'Hospital B'],
  );
  const run = await runYilian(['wallet', 'timeline', '--dir', outcome.people.alice.dir, '--json'], { env });
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { recordId: string; organisation: string; type: string; problem?: string });
  assert.deepEqual(
    lines.map((line) => line.recordId),
    outcome.timeline.entries.map((entry) => entry.record.recordId),
  );
  assert.deepEqual(lines.map((line) => `${line.type} ${line.organisation}`).sort(), [
    'DiagnosticReport Hospital B',
    'DiagnosticReport Hospital B',
    'ORU^R01 Hospital A',
    'ORU^R01 Hospital A',
    'RDE^O11 Hospital A',
  ]);
  // the CLI's own lie detection: the same forged item makes it exit 1 and name the item
  const note = outcome.timeline.entries.find((e) => e.engine.apiUrl === engine('hospital-b').apiUrl);
  if (note?.item.kind !== 'record') return assert.fail("no record of B's in the timeline");
  const { seq, ...item } = note.item;
  const restore = forgeInboxItem(
    engine('hospital-b').home,
    {
      address: outcome.people.alice.wallet.identity.address,
      publicKey: hexToBytes(outcome.people.alice.wallet.identity.publicKey),
    },
    seq,
    { ...item, cid: outcome.grantedRecord.item.cid },
  );
  try {
    const lied = await runYilian(['wallet', 'timeline', '--dir', outcome.people.alice.dir], { env });
    assert.equal(lied.code, 1, 'a forged item fails the command');
    assert.match(lied.stderr, new RegExp(`✗ record ${note.record.recordId}: the content does not decrypt`));
    assert.equal(lied.stdout.trim().split('\n').length, lines.length - 1, 'the other records still shown');
  } finally {
    restore();
  }
});

/** Every secret a person's wallet holds: signing key, prekey and grantee-key secrets. */
async function walletSecrets(name: string, dir: string): Promise<Needle[]> {
  const needles: Needle[] = [];
  for (const file of await keystoreFiles(dir)) {
    const material = await decryptKeystore(await readKeystoreFile(file), SCRATCH_PASSWORD);
    needles.push({ label: `${name}'s signing key`, bytes: material.signingKey });
    for (const entry of [...material.prekeys, ...material.preKeys])
      needles.push({ label: `${name}'s PRE secret ${String(entry.id)}`, bytes: entry.secretKey });
  }
  return needles;
}

test("the privacy scan covers every engine's stores: no record text, patient identifier, trace code or person's key in any", async () => {
  const outcome = story();
  const c = consortium ?? assert.fail('the consortium did not start');
  const secrets: Needle[] = [
    { label: 'lab result (patient name)', bytes: utf8ToBytes('Huckleberry') },
    { label: 'lab result (address)', bytes: utf8ToBytes('721 SPRING STREET') },
    { label: 'blood count (patient name)', bytes: utf8ToBytes('Liddell') },
    { label: 'blood count (conclusion)', bytes: utf8ToBytes('iron supplements advised') },
    { label: 'prescription (patient name)', bytes: utf8ToBytes('EVERYMAN') },
    { label: 'prescription (drug)', bytes: utf8ToBytes('Ampicillin 250 mg') },
    ...Object.entries(outcome.patients).map(([slug, patient]) => ({
      label: `Alice's identifier at ${slug}`,
      bytes: utf8ToBytes(patient.identifier),
    })),
    { label: "the box's printed code", bytes: utf8ToBytes(outcome.box.code) },
    { label: "the box's code", bytes: utf8ToBytes(normalizeTraceCode(outcome.box.code)) },
    ...(await walletSecrets('Alice', outcome.people.alice.dir)),
    ...(await walletSecrets('Dr. Carol', outcome.people.carol.dir)),
    ...(await walletSecrets('Phil', outcome.people.phil.dir)),
  ];
  // stopped first, so whatever the stores write on the way down is scanned too
  await c.stop();
  // each folder's control: something of the story that is there in the clear, so the scan read its stores
  const controls: Record<string, Needle> = {
    ca: {
      label: "Alice's account (her registration request)",
      bytes: hexToBytes(outcome.people.alice.wallet.identity.address),
    },
    'hospital-a': {
      label: "Alice's account (her inbox)",
      bytes: hexToBytes(outcome.people.alice.wallet.identity.address),
    },
    'hospital-b': {
      label: "Dr. Carol's account (her inbox)",
      bytes: hexToBytes(outcome.people.carol.wallet.identity.address),
    },
    pharmacy: { label: "Phil's account (his inbox)", bytes: hexToBytes(outcome.people.phil.wallet.identity.address) },
    manufacturer: { label: 'the batch event id (its workflow id)', bytes: utf8ToBytes(`batch-${outcome.runId}`) },
  };
  const folders = [
    ...c.engines.map((e) => ({ name: e.org.slug, path: e.dir })),
    { name: 'chain', path: join(c.dir, 'chain') },
    { name: 'consortium', path: join(c.dir, 'consortium') },
  ];
  for (const folder of folders) {
    const haystack = await readAll(await filesUnder(folder.path));
    assert.ok(haystack.length > 0, `${folder.name} holds files`);
    const control = controls[folder.name];
    if (control)
      assert.ok(findNeedles(haystack, [control]).length > 0, `the scan finds ${control.label} in ${folder.name}`);
    assert.deepEqual(findNeedles(haystack, secrets), [], `${folder.name}'s stores`);
  }
});
