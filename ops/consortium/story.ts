import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hexToBytes, type Hex } from 'viem';
import { connectChainGateway } from '../../core/ledger/chain-gateway.js';
import type { ContractAddresses } from '../../core/ledger/contract-addresses.js';
import type { ScryptParams } from '../../core/keys/index.js';
import { recordView } from '../../core/records/content-view.js';
import { Role, roleName } from '../../core/roles.js';
import { GatewayContent } from '../../core/storage/gateway-content.js';
import { readTrace, type VerifiedTraceStep } from '../../core/trace/read-trace.js';
import { traceId } from '../../native/index.js';
import { addEngine } from '../../wallet/add-engine.js';
import { grantRequest, redeemEnrolmentCode, requestGrant, requestRegistration } from '../../wallet/engine-api.js';
import { EngineList } from '../../wallet/engine-list.js';
import { fetchInbox } from '../../wallet/inbox-client.js';
import { engineListFile } from '../../wallet/node/engine-list-file.js';
import { walletDir } from '../../wallet/node/wallet-dir.js';
import { byline, openRecord, type OpenedRecord } from '../../wallet/open-record.js';
import { readTimeline, type Timeline, type TimelineEntry, type TimelineProblem } from '../../wallet/timeline.js';
import { Wallet } from '../../wallet/wallet.js';
import { messageFor, sendOverMllp, type HospitalPatient } from './hospital-feed.js';
import type { Consortium, Organisation } from './launch.js';
import { forgeInboxItem } from './lying-engine.js';

/** The HL7 v2 samples Hospital A's system sends over MLLP: a lab result and a prescription. */
export interface StorySamples {
  result: string;
  prescription: string;
}

/** The identifier system Hospital B's EHR names its patients by (PID-3's authority, in FHIR terms). */
const HOSPITAL_B_MRN = 'urn:yilian-story:hospital-b:mrn';

/**
 * Hospital B's engine pulls its EHR's FHIR server (a real HAPI FHIR here): the settings the
 * launcher's `env` hook gives that organisation. `file` is where the server list is written.
 */
export async function hospitalBFhir(
  fhirUrl: string,
  file: string,
): Promise<(org: Organisation) => Record<string, string> | undefined> {
  const servers = [
    {
      name: 'hospital-b-ehr',
      baseUrl: fhirUrl,
      hospital: 'Hospital B',
      resourceTypes: ['DiagnosticReport'],
      patientIdentifierSystem: HOSPITAL_B_MRN,
      pollSeconds: 1,
      // a shared server holds other runs' resources: this consortium takes what is written from now on
      since: new Date(Date.now() - 60_000).toISOString(),
    },
  ];
  await writeFile(file, `${JSON.stringify(servers, null, 2)}\n`);
  return (org) => (org.slug === 'hospital-b' ? { YILIAN_FHIR_SERVERS: file } : undefined);
}

export interface ConsortiumStoryContext {
  consortium: Consortium;
  /** Where the people keep their wallets: their own machines, outside every organisation's folder. */
  peopleDir: string;
  walletPassword: string;
  scrypt?: ScryptParams;
  samples: StorySamples;
  /** Hospital B's EHR: the FHIR server its engine pulls (started with `hospitalBFhir`'s settings). */
  fhirUrl: string;
  say(line: string): void;
}

/** A person of the story: their wallet folder and their wallet. */
export interface Person {
  dir: string;
  wallet: Wallet;
}

export interface ConsortiumStoryOutcome {
  runId: string;
  people: Record<'alice' | 'carol' | 'phil', Person>;
  /** Alice's identifiers at each hospital (PID-3), secrets of the hospitals and hers. */
  patients: Record<'hospital-a' | 'hospital-b', HospitalPatient>;
  /** Alice's timeline once every hospital's records reached her. */
  timeline: Timeline;
  /** The record written at A that Dr. Carol read through B's engine. */
  readByCarol: OpenedRecord;
  grantedRecord: TimelineEntry;
  /** The prescription from Hospital A, and as the pharmacist read it. */
  prescription: { record: TimelineEntry; readByPharmacist: OpenedRecord };
  /** Alice's box: its printed code (a secret of its holder) and its verified history. */
  box: { code: string; history: VerifiedTraceStep[] };
  /** What Alice's wallet reported when Hospital B's engine served forged items. */
  lies: TimelineProblem[];
}

/** How long a record may take from a hospital's system to Alice's wallet (a workflow, a block, an inbox). */
const RECORD_TIMEOUT_MS = 180_000;

/**
 * The consortium's story (docs/design.md § The consortium): people join through the CA's engine,
 * Alice enrols with two hospitals' engines from one wallet, both hospitals' records meet in her
 * one verified timeline, and she grants a record written at A to a doctor at B, who reads it
 * through B's engine alone. Every organisation acts through its own engine (its operator's
 * `yilian` in its own environment); every person through engines' public APIs. Throws at the
 * first step that does not verify.
 */
export async function runConsortiumStory(ctx: ConsortiumStoryContext): Promise<ConsortiumStoryOutcome> {
  const runId = randomUUID().slice(0, 8);
  const { consortium } = ctx;
  const step = (n: number, text: string) => ctx.say(`\n${n}. ${text}`);
  const ok = (text: string) => ctx.say(`   ✓ ${text}`);
  const ca = consortium.engine('ca');
  const [hospitalA, hospitalB] = [consortium.engine('hospital-a'), consortium.engine('hospital-b')];

  step(1, "People join through the CA's engine: each wallet's own registration request, approved by the CA's operator");
  const enlist = async (key: string, name: string, role: Role, organisation?: string): Promise<Person> => {
    const dir = join(ctx.peopleDir, `${key}-${runId}`);
    const wallet = await Wallet.create(walletDir(dir), ctx.walletPassword, ctx.scrypt);
    const request = await requestRegistration(ca.apiUrl, wallet, {
      name: `${name} (${runId})`,
      role,
      identity: wallet.identity,
      ...(organisation ? { organisation: organisation as Hex } : {}),
    });
    await consortium.cli('ca', ['ca', 'approve', request.id]);
    ok(`${name}: ${wallet.identity.address}, ${roleName(role)}${organisation ? ` of ${organisation}` : ''}`);
    return { dir, wallet };
  };
  const alice = await enlist('alice', 'Alice', Role.Patient);
  const carol = await enlist('carol', 'Dr. Carol', Role.Doctor, hospitalB.account);

  step(2, 'Alice enrols at Hospital A and at Hospital B with her one wallet');
  const engines = await EngineList.open(engineListFile(alice.dir));
  const patients = {
    'hospital-a': { identifier: `A-${runId}`, authority: 'HOSPITAL-A' },
    'hospital-b': { identifier: `B-${runId}`, authority: HOSPITAL_B_MRN },
  } as const;
  for (const hospital of [hospitalA, hospitalB]) {
    const { link, published } = await addEngine(alice.wallet, engines, {
      apiUrl: hospital.apiUrl,
      organisation: hospital.account,
      prekeys: 6,
    });
    const patient = patients[hospital.org.slug as keyof typeof patients];
    // the hospital's operator hands her a one-time code on paper; she redeems it in her wallet
    const code = (
      await consortium.cli(hospital.org.slug, [
        'enrol-code',
        '--authority',
        patient.authority,
        '--identifier',
        patient.identifier,
      ])
    ).trim();
    await redeemEnrolmentCode(link.apiUrl, alice.wallet, code);
    ok(`${link.name}: ${published} prekeys published to it alone (ids ${link.prekeys.join(', ')}), enrolled by code`);
  }

  step(
    3,
    "Alice's records: a lab result from Hospital A's system over MLLP, a blood count in Hospital B's EHR over FHIR",
  );
  const send = async (hospital: typeof hospitalA, sample: string, what: string) => {
    const patient = patients[hospital.org.slug as keyof typeof patients];
    if (hospital.mllpPort === undefined) throw new Error(`${hospital.org.name} has no MLLP listener`);
    const ack = await sendOverMllp(hospital.mllpPort, messageFor(sample, patient, `${what}-${runId}`));
    // AA, or CA when the message asked for enhanced-mode acknowledgements (MSH-15): durably taken either way
    if (ack !== 'AA' && ack !== 'CA') throw new Error(`${hospital.org.name} answered ${ack} to the ${what}`);
    ok(`${hospital.org.name} acknowledged the ${what} (${ack}: durably taken)`);
  };
  const ehr = new HospitalEhr(ctx.fhirUrl);
  const fhirPatient = await ehr.create({
    resourceType: 'Patient',
    identifier: [{ system: HOSPITAL_B_MRN, value: patients['hospital-b'].identifier }],
    name: [{ family: 'Liddell', given: ['Alice'] }],
  });
  const report = (key: string, conclusion: string) =>
    ehr.create({
      resourceType: 'DiagnosticReport',
      identifier: [{ system: 'urn:yilian-story:hospital-b:report', value: `${key}-${runId}` }],
      status: 'final',
      code: { text: 'Full blood count' },
      subject: { reference: `Patient/${fhirPatient}` },
      conclusion,
    });
  await send(hospitalA, ctx.samples.result, 'lab result');
  await report('blood-count', 'Mild anaemia; iron supplements advised');
  ok("Hospital B's EHR wrote a DiagnosticReport to its FHIR server; B's engine pulls it from there");
  const timeline = await timelineOf(alice, engines, 2);
  for (const entry of timeline.entries)
    ok(
      `block ${entry.record.createdAt}: ${recordView(entry.record.record).kind} from ${byline(entry.record)}, via ${entry.engine.name}'s engine; author and hospital verified against the Directory`,
    );
  const fromA = timeline.entries.find((entry) => entry.engine.apiUrl === hospitalA.apiUrl);
  if (!fromA) throw new Error("Hospital A's record is not in Alice's timeline");

  step(4, "Alice grants A's lab result to Dr. Carol of Hospital B, through B's engine; Carol reads it through B alone");
  if (fromA.item.kind !== 'record') throw new Error("Hospital A's item is not Alice's own record");
  const carolKey = await carol.wallet.newGranteeKey();
  // B never saw Alice's prekeys at A: it checks this one on her signature and the Directory
  const granted = await requestGrant(
    hospitalB.apiUrl,
    await grantRequest(alice.wallet, fromA.item, carol.wallet.identity.address, carolKey.publicKey),
  );
  ok(`granted to ${granted.granteeName}: B's engine checked the re-encryption key and delivered to her inbox there`);
  const carolItem = (await fetchInbox(hospitalB.apiUrl, carol.wallet)).find(
    (item) => item.kind === 'grant' && item.recordId === fromA.record.recordId,
  );
  if (!carolItem) throw new Error("the grant is not in Dr. Carol's inbox at Hospital B");
  const { location, key } = await carol.wallet.recordKey(carolItem);
  const { chain, contracts } = await connectChainGateway(hospitalB.apiUrl);
  const readByCarol = await openRecord(
    { chain, contracts, store: new GatewayContent(hospitalB.apiUrl) },
    location,
    key,
  );
  if (readByCarol.record !== fromA.record.record) throw new Error('the record Dr. Carol read differs from Alice’s');
  ok(
    `Dr. Carol read ${readByCarol.record.length} characters through B's engine and B's IPFS node (bitswap brought the blocks from A's), signed by ${byline(readByCarol)}`,
  );

  step(
    5,
    'An e-prescription: Hospital A sends an RDE^O11; Alice grants it to a pharmacist whose pharmacy never dealt with A',
  );
  const pharmacy = consortium.engine('pharmacy');
  await send(hospitalA, ctx.samples.prescription, 'prescription');
  const withPrescription = await timelineOf(alice, engines, timeline.entries.length + 1);
  const prescription = withPrescription.entries.find((entry) => /^MSH\|[^\r]*\|RDE\^O11/.test(entry.record.record));
  if (prescription?.item.kind !== 'record') throw new Error("the prescription is not in Alice's timeline");
  ok(`the prescription is in Alice's timeline: ${byline(prescription.record)}`);
  const phil = await enlist('phil', 'Phil (pharmacist)', Role.Pharmacy);
  const philKey = await phil.wallet.newGranteeKey();
  await requestGrant(
    pharmacy.apiUrl,
    await grantRequest(alice.wallet, prescription.item, phil.wallet.identity.address, philKey.publicKey),
  );
  const dispensing = await readGranted(phil, pharmacy.apiUrl, prescription.record.recordId);
  if (dispensing.organisation?.address !== hospitalA.account)
    throw new Error(`the prescription reads as ${byline(dispensing)}, not Hospital A's`);
  ok(
    `Phil read it through the pharmacy's engine: signed by ${byline(dispensing)}, checked against the Directory alone`,
  );

  step(
    6,
    "The box: made by the manufacturer, dispensed by the pharmacy, whose own engine proves it holds the box's code",
  );
  const erp = (slug: string) => ({
    apiUrl: consortium.engine(slug).apiUrl,
    token: consortium.cli(slug, ['org', 'issue', consortium.engine(slug).org.name]).then((out) => out.trim()),
  });
  const [maker, dispenser] = [erp('manufacturer'), erp('pharmacy')];
  const { codes } = (await erpCall(maker.apiUrl, await maker.token, 'POST', '/v1/trace/codes', { count: 2 })) as {
    codes: string[];
  };
  const box = codes[0];
  if (box === undefined) throw new Error('the manufacturer was issued no codes');
  await reported(maker.apiUrl, await maker.token, '/v1/trace/batches', `batch-${runId}`, {
    product: 'Amoxicillin 500 mg capsules, 24',
    gtin: '06938574920131',
    lot: `LOT-${runId}`,
    manufacturedOn: '2026-11-02',
    expiresOn: '2028-11-01',
    items: codes.map((code, i) => ({ code, serial: `SN${String(i + 1).padStart(6, '0')}` })),
  });
  ok(`the manufacturer's engine proved and pushed the batch of ${codes.length} boxes`);
  await reported(dispenser.apiUrl, await dispenser.token, '/v1/trace/dispenses', `dispense-${runId}`, {
    items: [{ code: box }],
    dispensedAt: new Date().toISOString(),
    pharmacyRef: `RX-${runId}`,
  });
  ok("the pharmacy's engine proved it holds the box's code and pushed the dispense");
  // Alice reads her box's history through the pharmacy that handed it to her
  const gateway = await connectChainGateway(pharmacy.apiUrl);
  const history = await readTrace({ ...gateway, traceId }, box);
  const [bad] = history.invalid;
  if (bad) throw new Error(`trace step ${bad.index} does not verify: ${bad.message}`);
  const events = history.steps.map((s) => `${(JSON.parse(s.data) as { event: string }).event} by ${s.signerName}`);
  const expected = [`produced by ${consortium.engine('manufacturer').org.name}`, `dispensed by ${pharmacy.org.name}`];
  if (events.join() !== expected.join())
    throw new Error(`the box's history reads ${events.join(' → ')}, expected ${expected.join(' → ')}`);
  ok(`Alice verified her box: ${events.join(' → ')}, every signature against the Directory`);

  step(
    7,
    "An engine that lies: Hospital B's engine serves Alice a forged inbox item; her wallet's verification catches it",
  );
  const note = withPrescription.entries.find((entry) => entry.engine.apiUrl === hospitalB.apiUrl);
  if (note?.item.kind !== 'record') throw new Error("Hospital B's blood count is not in Alice's timeline");
  const foreignPrekey = engines.engine(hospitalA.apiUrl).prekeys[0] ?? 0;
  const lies = [
    {
      what: 'the blood count with the lab result’s content in its place',
      forged: { ...note.item, cid: fromA.item.cid },
    },
    {
      what: 'the blood count under a prekey Alice gave Hospital A, not B',
      forged: { ...note.item, prekeyIndex: foreignPrekey },
    },
  ];
  const caught: TimelineProblem[] = [];
  for (const { what, forged } of lies) {
    const { seq, ...item } = forged;
    const restore = forgeInboxItem(
      hospitalB.home,
      { address: alice.wallet.identity.address, publicKey: hexToBytes(alice.wallet.identity.publicKey) },
      seq,
      item,
    );
    try {
      const read = await readTimeline(alice.wallet, engines.engines, pinned(engines));
      const problem = read.problems.find((p) => p.item?.seq === seq);
      if (!problem) throw new Error(`Alice's wallet showed ${what}`);
      if (read.entries.length !== withPrescription.entries.length - 1)
        throw new Error('the lie cost more than the forged item');
      caught.push(problem);
      ok(`${what}: caught (${problem.step}) — ${problem.message}`);
    } finally {
      restore();
    }
  }

  step(8, "One engine down: Hospital B's engine stops; the others keep working, and nothing of B's is lost");
  const before = withPrescription.entries.length;
  await consortium.stopEngine('hospital-b');
  const during = await readTimeline(alice.wallet, engines.engines, pinned(engines));
  const away = during.problems.find((p) => p.step === 'engine' && p.engine.apiUrl === hospitalB.apiUrl);
  if (!away) throw new Error("Alice's wallet did not report Hospital B's engine away");
  if (during.entries.length !== before - 1)
    throw new Error("Hospital B's engine being down cost more than its own item");
  ok(`Alice's timeline still shows the other ${during.entries.length} records, and says: ${away.message}`);
  await report('follow-up', 'Follow-up: haemoglobin back to normal');
  ok("Hospital B's EHR wrote a follow-up report meanwhile: it waits on the FHIR server for B's engine");
  await send(hospitalA, ctx.samples.result, 'repeat lab result');
  await timelineOf(alice, engines, before, [hospitalB.apiUrl]);
  ok("Hospital A's engine anchored a new result for Alice meanwhile");
  await consortium.startEngine('hospital-b');
  ok("Hospital B's engine is back on the same URL, with its data, and pulls what it missed");
  const after = await timelineOf(alice, engines, before + 2);
  ok(`Alice's timeline holds all ${after.entries.length} records again, nothing lost`);

  ctx.say('\nEvery step verified.');
  return {
    runId,
    people: { alice, carol, phil },
    patients,
    timeline: after,
    readByCarol,
    grantedRecord: fromA,
    prescription: { record: prescription, readByPharmacist: dispensing },
    box: { code: box, history: history.steps },
    lies: caught,
  };
}

/** A grantee reads a record granted to them through their own organisation's engine alone: its inbox, chain gateway and block gateway. */
async function readGranted(grantee: Person, apiUrl: string, recordId: Hex): Promise<OpenedRecord> {
  const item = (await fetchInbox(apiUrl, grantee.wallet)).find(
    (received) => received.kind === 'grant' && received.recordId === recordId,
  );
  if (!item) throw new Error(`the grant of ${recordId} is not in the grantee's inbox at ${apiUrl}`);
  const { location, key } = await grantee.wallet.recordKey(item);
  const { chain, contracts } = await connectChainGateway(apiUrl);
  return openRecord({ chain, contracts, store: new GatewayContent(apiUrl) }, location, key);
}

/** One call of an organisation's ERP on its own engine's API; the answer's JSON, or an error with the engine's reason. */
async function erpCall(apiUrl: string, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${String(response.status)} ${answer.error ?? ''}`);
  return answer;
}

/** How long a trace event may take from the ERP's request to its committed transaction (a STARK, a block). */
const EVENT_TIMEOUT_MS = 300_000;

/** Reports a trace event under the ERP's own id and waits until its steps are on chain. */
async function reported(apiUrl: string, token: string, path: string, key: string, event: object): Promise<void> {
  const response = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify(event),
  });
  const answer = (await response.json().catch(() => ({}))) as { eventId?: string; error?: string };
  if (response.status !== 202 || !answer.eventId)
    throw new Error(`POST ${path}: HTTP ${String(response.status)} ${answer.error ?? ''}`);
  const deadline = Date.now() + EVENT_TIMEOUT_MS;
  for (;;) {
    const status = (await erpCall(apiUrl, token, 'GET', `/v1/trace/events/${answer.eventId}`)) as {
      status: string;
      reason?: string;
    };
    if (status.status === 'committed') return;
    if (status.status === 'failed') throw new Error(`trace event ${key} failed: ${status.reason ?? 'no reason given'}`);
    if (Date.now() > deadline)
      throw new Error(`trace event ${key} is still ${status.status} after ${EVENT_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** The consortium's contracts as the wallet's first engine named them. */
function pinned(engines: EngineList): ContractAddresses {
  return engines.contracts ?? assertNever('the wallet has no engine');
}

function assertNever(message: string): never {
  throw new Error(message);
}

/** Alice's timeline once it holds `count` records and nothing failed to verify. */
async function timelineOf(
  person: Person,
  engines: EngineList,
  count: number,
  away: readonly string[] = [],
): Promise<Timeline> {
  const contracts = pinned(engines);
  const deadline = Date.now() + RECORD_TIMEOUT_MS;
  for (;;) {
    const timeline = await readTimeline(person.wallet, engines.engines, contracts);
    const [down] = timeline.problems.filter((p) => p.step === 'engine' && !away.includes(p.engine.apiUrl));
    if (down && Date.now() > deadline) throw new Error(down.message);
    const [problem] = timeline.problems.filter((p) => p.step !== 'engine');
    if (problem) throw new Error(`an item did not verify: ${problem.message}`);
    if (timeline.entries.length >= count) return timeline;
    if (Date.now() > deadline)
      throw new Error(
        `after ${RECORD_TIMEOUT_MS / 1000} s the timeline holds ${timeline.entries.length} of ${count} records` +
          (timeline.problems.length > 0 ? `: ${timeline.problems.map((p) => p.message).join('; ')}` : ''),
      );
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Hospital B's EHR writing to its FHIR server, as its own software would (plain FHIR REST). */
class HospitalEhr {
  constructor(private readonly baseUrl: string) {}

  /** Creates a resource; its id as the server gave it. */
  async create(resource: { resourceType: string } & Record<string, unknown>): Promise<string> {
    const response = await fetch(`${this.baseUrl}/${resource.resourceType}`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(resource),
    });
    const created = (await response.json().catch(() => ({}))) as { id?: string };
    if (!response.ok || !created.id)
      throw new Error(`the FHIR server refused the ${resource.resourceType}: HTTP ${String(response.status)}`);
    return created.id;
  }
}
