import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { hexToBytes, toHex } from 'viem';
import {
  generateTraceCode,
  initPre,
  preDecryptReencrypted,
  preKeygenDelegatee,
  preRekey,
  preKeygenDelegator,
} from '../../core/crypto/index.js';
import type { ContractAddresses } from '../../core/ledger/contract-addresses.js';
import type { FiscoClient } from '../../core/ledger/fisco-client.js';
import type { ScryptParams } from '../../core/keys/index.js';
import { wrapContext } from '../../core/records/record-format.js';
import { Role } from '../../core/roles.js';
import type { ContentStore } from '../../core/storage/index.js';
import { readTrace, type VerifiedTraceStep } from '../../core/trace/read-trace.js';
import { hl7Envelope } from '../../connectors/hl7/message-source.js';
import { traceId } from '../../native/index.js';
import type { WorkflowStarter } from '../../workflows/starter.js';
import type { PatientIdentifier } from '../../activities/patients/index.js';
import type { OperatorSigner } from '../../core/operators/authorization.js';
import { grantRequest } from '../../wallet/engine-api.js';
import { fetchInbox, type ReceivedItem } from '../../wallet/inbox-client.js';
import { walletDir } from '../../wallet/node/wallet-dir.js';
import { byline, openRecord, type OpenedRecord } from '../../wallet/open-record.js';
import { Wallet } from '../../wallet/wallet.js';
import { authorize } from '../../core/operators/authorization.js';

export interface StoryContext {
  /** The engine's workflows (on its Temporal namespace and task queue). */
  workflows: WorkflowStarter;
  /** The engine's operator, who signs each registration and the enrolment (CA and hospital alike here). */
  operator: OperatorSigner;
  /** The engine's HTTP API (inboxes). */
  apiUrl: string;
  chain: FiscoClient;
  contracts: ContractAddresses;
  /** Read access to the content store (wallets read IPFS directly). */
  store: ContentStore;
  /** Where the people's wallets are made. */
  walletsDir: string;
  walletPassword: string;
  scrypt?: ScryptParams;
  /** The HL7 message taken as the record. */
  hl7: string;
  batchSize: number;
  say(line: string): void;
}

/** A door that stayed shut to the third party, and what it said. */
export interface Refusal {
  door: 'inbox' | 'reencrypted key' | 'forged grant';
  detail: string;
}

export interface StoryOutcome {
  runId: string;
  /** The patient identifier the record arrived under (PID-3 with the run id). */
  patient: PatientIdentifier;
  /** Accounts whose keys the engine holds. */
  localIdentities: string[];
  recordWorkflowId: string;
  /** Where the record's ciphertext is in the content store. */
  cid: string;
  record: OpenedRecord;
  readByCarol: OpenedRecord;
  traceCodes: string[];
  traceIds: string[];
  history: VerifiedTraceStep[];
  /** How the third party was turned away, one entry per door that held. */
  refusals: Refusal[];
  people: Record<'alice' | 'carol' | 'charlie', Wallet>;
}

/** What `yilian demo --json` prints: the outcome without secrets (no trace codes, no wallets). */
export interface StorySummary {
  runId: string;
  recordWorkflowId: string;
  recordId: string;
  cid: string;
  author: string;
  authorAddress: string;
  /** The record's organisation by the Directory (Dr. Bob's hospital). */
  organisation: string | null;
  readByGrantee: boolean;
  refusals: Refusal[];
  traceItems: number;
  traceEvents: Array<{ event: string; signer: string }>;
}

export function summarizeStory(outcome: StoryOutcome): StorySummary {
  return {
    runId: outcome.runId,
    recordWorkflowId: outcome.recordWorkflowId,
    recordId: outcome.record.recordId,
    cid: outcome.cid,
    author: outcome.record.author.name,
    authorAddress: outcome.record.author.address,
    organisation: outcome.record.organisation?.name ?? null,
    readByGrantee: outcome.readByCarol.record === outcome.record.record,
    refusals: outcome.refusals,
    traceItems: outcome.traceIds.length,
    traceEvents: outcome.history.map((step) => ({
      event: (JSON.parse(step.data) as { event: string }).event,
      signer: step.signerName,
    })),
  };
}

/**
 * The seed's whole story against a running engine, each step verified before the next: identities,
 * a record anchored for a patient who enrols while it waits, read, granted, read by the grantee,
 * refused to a third party, and a 100-item batch traced from manufacturer to pharmacy and verified
 * by the patient from her box's code. Throws at the first step that does not verify.
 */
export async function runStory(ctx: StoryContext): Promise<StoryOutcome> {
  await initPre();
  const runId = randomUUID().slice(0, 8);
  const step = (n: number, text: string) => ctx.say(`\n${n}. ${text}`);
  const ok = (text: string) => ctx.say(`   ✓ ${text}`);
  const { workflows } = ctx;

  step(1, 'The CA registers the consortium members in the Directory');
  const localIdentities: string[] = [];
  const local = async (name: string, role: Role, organisation?: `0x${string}`) => {
    const registered = await workflows.execute.registerIdentity(
      authorize(ctx.operator, 'registerIdentity', {
        name: `${name} (${runId})`,
        role,
        ...(organisation ? { organisation } : {}),
      }),
    );
    ok(`${name}: ${registered.address} (keys in the engine keystore${organisation ? `, of ${organisation}` : ''})`);
    localIdentities.push(registered.address);
    return registered;
  };
  const person = async (key: string, name: string, role: Role, prekeys = 0, organisation?: `0x${string}`) => {
    const wallet = await Wallet.create(
      walletDir(join(ctx.walletsDir, `${key}-${runId}`)),
      ctx.walletPassword,
      ctx.scrypt,
    );
    const bundle = prekeys > 0 ? await wallet.addPrekeys(prekeys) : undefined;
    const registered = await workflows.execute.registerIdentity(
      authorize(ctx.operator, 'registerIdentity', {
        name: `${name} (${runId})`,
        role,
        identity: wallet.identity,
        ...(bundle ? { prekeyBundle: bundle } : {}),
        ...(organisation ? { organisation } : {}),
      }),
    );
    ok(
      `${name}: ${registered.address} (keys in their own wallet${registered.prekeys ? `, ${registered.prekeys} one-time prekeys published` : ''})`,
    );
    return wallet;
  };
  const hospital = await local('Good Health Hospital', Role.Hospital);
  const bob = await local('Dr. Bob', Role.Doctor, hospital.address);
  const alice = await person('alice', 'Alice', Role.Patient, 8);
  const carol = await person('carol', 'Dr. Carol', Role.Doctor, 0, hospital.address);
  const charlie = await person('charlie', 'Charlie (pharmacy)', Role.Pharmacy);
  await person('carlos', 'Carlos (research institute)', Role.Research);
  const manufacturer = await local('Manufacturer', Role.Manufacturer);
  const carrier = await local('Carrier', Role.Carrier);
  const pharmacy = await local('Pharmacy', Role.Pharmacy);
  await local('Regulator', Role.Regulator);

  step(2, "The hospital's HL7 ORU^R01 arrives for Alice, authored by Dr. Bob, before Alice has enrolled");
  const envelope = hl7Envelope(ctx.hl7);
  // each run gets its own control id so the demo can be re-run against the same stack
  const source = { ...envelope.source, controlId: `${envelope.source.controlId}-demo-${runId}` };
  const patient = { authority: envelope.patient.authority, identifier: `${envelope.patient.identifier}-${runId}` };
  const anchorInput = { source, record: ctx.hl7, patient, author: bob.address };
  const recordWorkflowId = workflows.workflowId.anchorRecord(anchorInput);
  const anchoring = await workflows.start.anchorRecord(anchorInput);
  ok(`workflow ${recordWorkflowId} started`);
  await waitForStatus(() => anchoring.query<string>('status'), 'waiting for the patient to enrol');
  ok('it waits, encrypted in its history, for the patient to enrol');
  const again = await workflows.start.anchorRecord(anchorInput);
  const [firstRun, secondRun] = [(await anchoring.describe()).runId, (await again.describe()).runId];
  if (firstRun !== secondRun) throw new Error('a re-sent message started a second workflow');
  ok('the same message sent again joins the same workflow run');

  step(3, 'Alice enrols at the hospital; the waiting record is anchored at once');
  await workflows.execute.enrolPatient(
    authorize(ctx.operator, 'enrolPatient', { patient, account: alice.identity.address }),
  );
  const reference = await anchoring.result();
  ok(
    `record ${reference.recordId} on chain, content ${reference.cid}, wrapped to Alice's prekey ${reference.prekeyIndex}`,
  );

  step(4, 'Alice reads it from her inbox and checks Dr. Bob’s signature');
  const aliceItem = (await fetchInbox(ctx.apiUrl, alice)).find(
    (m) => m.kind === 'record' && m.recordId === reference.recordId,
  );
  if (!aliceItem) throw new Error("the record is not in Alice's inbox");
  const aliceKey = await alice.recordKey(aliceItem);
  const record = await openRecord(ctx, aliceKey.location, aliceKey.key);
  if (record.record !== ctx.hl7) throw new Error('the record Alice read differs from the message the hospital sent');
  if (record.organisation?.address !== hospital.address.toLowerCase())
    throw new Error(`the Directory does not show Dr. Bob's record as the hospital's: ${byline(record)}`);
  ok(
    `decrypted ${record.record.length} characters, signed by ${byline(record)} (${record.author.address}), signature and hospital verified against the Directory`,
  );

  step(5, 'Alice grants the record to Dr. Carol; the chain re-encrypts it in a read-only call');
  const carolKey = await carol.newGranteeKey();
  await workflows.execute.grantAccess(await grantRequest(alice, reference, carol.identity.address, carolKey.publicKey));
  const carolItem = (await fetchInbox(ctx.apiUrl, carol)).find(
    (m) => m.kind === 'grant' && m.recordId === reference.recordId,
  );
  if (!carolItem || carolItem.kind !== 'grant') throw new Error("the grant is not in Carol's inbox");
  const carolRecordKey = await carol.recordKey(carolItem);
  const readByCarol = await openRecord(ctx, carolRecordKey.location, carolRecordKey.key);
  if (readByCarol.record !== ctx.hl7) throw new Error('the record Carol read differs from the original');
  ok(`Dr. Carol decrypted it with her own key and verified ${byline(readByCarol)}'s signature`);

  step(6, 'Charlie (pharmacy) cannot read it');
  const refusals = await charlieIsRefused(ctx, { charlie, carolItem, reference, alicePatient: alice.identity.address });
  for (const refusal of refusals) ok(refusal.detail);

  step(7, `A production batch of ${ctx.batchSize} boxes goes manufacturer → carrier → pharmacy`);
  const codes = Array.from({ length: ctx.batchSize }, () => generateTraceCode());
  const batch = `LOT-${runId}`;
  let traceIds: string[] = [];
  for (const [who, participant, event] of [
    ['Manufacturer', manufacturer, 'produced'],
    ['Carrier', carrier, 'shipped'],
    ['Pharmacy', pharmacy, 'received'],
  ] as const) {
    const started = Date.now();
    const result = await workflows.execute.traceStep({
      source: { kind: 'erp', org: who, eventId: `${batch}-${event}` },
      participant: participant.address,
      items: codes.map((code, i) => ({
        code,
        data: JSON.stringify({ event, batch, item: i + 1, by: who, at: new Date().toISOString() }),
      })),
    });
    traceIds = result.ids;
    ok(`${who}: ${event}, ${codes.length} items in one STARK and one transaction (${Date.now() - started} ms)`);
  }

  step(8, "Alice verifies her box's whole history from the code printed on it");
  const { steps: history, invalid } = await readTrace({ ...ctx, traceId }, codes[0] as string);
  const [bad] = invalid;
  if (bad) throw new Error(`trace step ${bad.index} does not verify: ${bad.message}`);
  const expected = ['produced', 'shipped', 'received'];
  const events = history.map((s) => (JSON.parse(s.data) as { event: string }).event);
  if (events.join() !== expected.join())
    throw new Error(`the trace reads ${events.join(' → ')}, expected ${expected.join(' → ')}`);
  for (const s of history)
    ok(
      `${(JSON.parse(s.data) as { event: string }).event} by ${s.signerName}, signature verified against the Directory`,
    );

  ctx.say('\nEvery step verified.');
  return {
    runId,
    patient,
    localIdentities,
    recordWorkflowId,
    cid: reference.cid,
    record,
    readByCarol,
    traceCodes: codes,
    traceIds,
    history,
    refusals,
    people: { alice, carol, charlie },
  };
}

async function charlieIsRefused(
  ctx: StoryContext,
  input: {
    charlie: Wallet;
    carolItem: Extract<ReceivedItem, { kind: 'grant' }>;
    reference: { recordId: string; cid: string; prekeyIndex: number };
    alicePatient: `0x${string}`;
  },
): Promise<Refusal[]> {
  const refusals: Refusal[] = [];
  const inbox = await fetchInbox(ctx.apiUrl, input.charlie);
  if (inbox.some((m) => m.recordId === input.reference.recordId))
    throw new Error("Charlie's inbox holds Alice's record");
  refusals.push({ door: 'inbox', detail: "nothing about the record is in Charlie's inbox" });

  const charlieKey = preKeygenDelegatee();
  const context = wrapContext(hexToBytes(input.reference.recordId as `0x${string}`));
  const opened = attempt(() =>
    preDecryptReencrypted(charlieKey.secretKey, hexToBytes(input.carolItem.reencryptedKey as `0x${string}`), context),
  );
  if (opened) throw new Error("Charlie's key opened the key re-encrypted for Carol");
  refusals.push({
    door: 'reencrypted key',
    detail: "the key re-encrypted for Dr. Carol does not open with Charlie's key",
  });

  const forgedRk = toHex(preRekey(preKeygenDelegator().secretKey, charlieKey.publicKey));
  const forged = await ctx.workflows.execute
    .grantAccess({
      recordId: input.reference.recordId as `0x${string}`,
      cid: input.reference.cid,
      patient: input.alicePatient,
      prekeyIndex: input.reference.prekeyIndex,
      grantee: input.charlie.identity.address,
      granteeKey: toHex(charlieKey.publicKey),
      rk: forgedRk,
    })
    .then(
      () => undefined,
      (error: unknown) => error as Error,
    );
  if (!forged) throw new Error('the engine granted the record on a re-encryption key Alice did not make');
  refusals.push({
    door: 'forged grant',
    detail: `a grant to Charlie with a re-encryption key Alice did not make is refused: ${rootMessage(forged)}`,
  });
  return refusals;
}

function rootMessage(error: Error): string {
  let deepest = error;
  while (deepest.cause instanceof Error) deepest = deepest.cause;
  return deepest.message;
}

function attempt(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

async function waitForStatus(read: () => Promise<string>, expected: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await read()) === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the workflow never reached "${expected}"`);
}
