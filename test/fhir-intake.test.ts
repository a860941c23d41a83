/**
 * The FHIR door end to end on real parts: a HAPI FHIR JPA server nobody here wrote → the puller
 * (type-level `_history` since a watermark, small pages) → the durable intake queue on a real
 * Redis → the dispatcher → Temporal → the engine's workers → chain and content store → the
 * patient's wallet. Every resource version is anchored once, as the bytes the server served;
 * an update is a new record, a delete is noted, and a pull cut short loses and doubles nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'fhir-kit-client';
import { Redis } from 'ioredis';
import { Role } from '../core/roles.js';
import { authorize } from '../core/operators/authorization.js';
import { pullServer } from '../connectors/fhir/puller.js';
import { fhirServerSchema, type FhirServer } from '../connectors/fhir/servers.js';
import { redisPullState } from '../connectors/fhir/state.js';
import { startDispatcher, type Dispatcher } from '../connectors/intake/dispatcher.js';
import { openIntakeQueue, type IntakeQueue } from '../connectors/intake/queue.js';
import { CodecKeyring } from '../ops/codec/keyring.js';
import { startScratchEngine, SCRATCH_PASSWORD, SCRATCH_SCRYPT, type ScratchEngine } from '../ops/scratch/engine.js';
import { scratchFhirServer, type ScratchFhirServer } from '../ops/scratch/fhir.js';
import { startScratchRedis } from '../ops/scratch/services.js';
import { fetchInbox } from '../wallet/inbox-client.js';
import { walletDir } from '../wallet/node/wallet-dir.js';
import { openRecord } from '../wallet/open-record.js';
import { Wallet } from '../wallet/wallet.js';
import { runsOn, waitFor } from './harness/intake.js';

let fhir: ScratchFhirServer;
let stack: ScratchEngine;
let redis: Awaited<ReturnType<typeof startScratchRedis>>;
let redisClient: Redis;
let queue: IntakeQueue;
let dispatcher: Dispatcher;
let hospital: string;
let dir: string;
let fhirClient: Client;
/** The shared server holds other tests' resources: this run's patients carry an identifier system of its own. */
const system = `urn:yilian:test:fhir-intake:${randomUUID()}`;

before(async () => {
  [fhir, stack, redis] = await Promise.all([scratchFhirServer(), startScratchEngine(), startScratchRedis()]);
  await stack.startWorkers();
  dir = await mkdtemp(join(tmpdir(), 'yilian-fhir-intake-'));
  const keys = CodecKeyring.parse(stack.codecKeys);
  queue = await openIntakeQueue({ redisUrl: redis.url, keys, taskQueue: stack.taskQueue });
  dispatcher = startDispatcher({ redisUrl: redis.url, keys, client: stack.client, taskQueue: stack.taskQueue });
  redisClient = new Redis(redis.url);
  fhirClient = new Client({ baseUrl: fhir.url });
  hospital = (
    await stack.workflows.execute.registerIdentity(
      authorize(stack.operator, 'registerIdentity', { name: 'FHIR Hospital', role: Role.Hospital }),
    )
  ).address;
});
after(async () => {
  await dispatcher.close();
  await queue.close();
  redisClient.disconnect();
  await redis.stop();
  await stack.stop();
  await fhir.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Creates a resource on the FHIR server; its id and version as the server gave them. */
const create = async (resource: { resourceType: string } & Record<string, unknown>) => {
  const created = await fhirClient.create({ resourceType: resource.resourceType, body: resource });
  return { id: String(created.id), versionId: String((created.meta as { versionId?: unknown }).versionId) };
};
const observation = (patient: string, value: number) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
  subject: { reference: `Patient/${patient}` },
  valueQuantity: { value, unit: 'g/dL' },
});

test('versions are pulled page by page and anchored once each as served; updates are new records, deletes noted, a cut-short pull repeats', async () => {
  const started = new Date(Date.now() - 2000).toISOString();
  const alice = await create({
    resourceType: 'Patient',
    identifier: [{ system, value: 'ALICE-1' }],
    name: [{ family: 'Liddell' }],
  });
  const bob = await create({ resourceType: 'Patient', identifier: [{ system, value: 'BOB-2' }] });
  const nobody = await create({ resourceType: 'Patient', identifier: [{ value: 'no-system' }] });
  const obs = [];
  for (let i = 0; i < 5; i++) obs.push(await create(observation(alice.id, 12 + i)));
  const report = await create({
    resourceType: 'DiagnosticReport',
    status: 'final',
    code: { text: 'CBC' },
    subject: { reference: `Patient/${bob.id}` },
  });
  await create(observation(nobody.id, 9));

  const server: FhirServer = fhirServerSchema.parse({
    name: 'hapi',
    baseUrl: fhir.url,
    hospital: 'FHIR Hospital',
    resourceTypes: ['Observation', 'DiagnosticReport'],
    patientIdentifierSystem: system,
    pageSize: 2,
    since: started,
    overlapSeconds: 5,
  });
  const state = redisPullState(redisClient, stack.taskQueue);
  const pull = (fetchImpl?: typeof fetch) =>
    pullServer({ server, queue, state, author: hospital, ...(fetchImpl ? { fetchImpl } : {}) });

  const first = await pull();
  assert.equal(first.queued, 6, 'five observations and a report, read over pages of two');
  // the server is shared: other test files' resources are set aside as well, never anchored
  assert.ok(
    Object.values(await redisClient.hgetall(`yilian:fhir:${stack.taskQueue}:hapi:unanchorable`)).includes(
      `Patient/${nobody.id} has no identifier in ${system}`,
    ),
    'the observation whose patient has no identifier in the system is set aside, with the reason',
  );
  const again = await pull();
  assert.equal(again.queued, 0, 'pulled again: nothing new');

  // an update is a new version and a new record; a delete is noted, the earlier record stands
  const updated = await fhirClient.update({
    resourceType: 'Observation',
    id: obs[0]?.id ?? '',
    body: { ...observation(alice.id, 99), id: obs[0]?.id },
  });
  assert.equal((updated.meta as { versionId?: unknown }).versionId, '2');
  await fhirClient.delete({ resourceType: 'Observation', id: obs[1]?.id ?? '' });
  // a pull that dies after two reads (the engine stopped mid-way) moves no watermark
  let reads = 0;
  const dying: typeof fetch = (input, init) =>
    ++reads > 2 ? Promise.reject(new Error('engine stopped')) : fetch(input, init);
  const watermark = await state.watermark('hapi');
  const later = [];
  for (let i = 0; i < 3; i++) later.push(await create(observation(bob.id, 20 + i)));
  await assert.rejects(pull(dying), /engine stopped/);
  assert.equal(await state.watermark('hapi'), watermark, 'a pull cut short keeps its watermark');
  const resumed = await pull();
  assert.equal(resumed.queued + resumed.duplicates >= 4, true, 'the update and three new observations');
  assert.ok(resumed.deleted >= 1);
  assert.match(
    (await redisClient.hget(`yilian:fhir:${stack.taskQueue}:hapi:deleted`, `Observation/${obs[1]?.id}`)) ?? '',
    /^2 /,
    'the delete is noted with its version',
  );

  const expected = [
    ...obs.map((o) => `fhir:hapi:Observation/${o.id}/1`),
    `fhir:hapi:Observation/${obs[0]?.id}/2`,
    `fhir:hapi:DiagnosticReport/${report.id}/1`,
    ...later.map((o) => `fhir:hapi:Observation/${o.id}/1`),
  ];
  const runs = await waitFor('every version started', async () => {
    const found = await runsOn(stack.client, stack.taskQueue);
    return expected.every((id) => found.has(id)) ? found : undefined;
  });
  const fhirRuns = [...runs].filter(([id]) => id.startsWith('fhir:hapi:'));
  assert.equal(fhirRuns.length, 10, 'six, the update and three more: each once');
  for (const [id, count] of fhirRuns) assert.equal(count, 1, `${id}: one run`);

  // Alice enrols: her six records (five versions 1 and the update) read back as the server served them
  const wallet = await Wallet.create(walletDir(join(dir, 'alice')), SCRATCH_PASSWORD, SCRATCH_SCRYPT);
  const prekeyBundle = await wallet.addPrekeys(8);
  await stack.workflows.execute.registerIdentity(
    authorize(stack.operator, 'registerIdentity', {
      name: 'Alice (FHIR)',
      role: Role.Patient,
      identity: wallet.identity,
      prekeyBundle,
    }),
  );
  await stack.workflows.execute.enrolPatient(
    authorize(stack.operator, 'enrolPatient', {
      patient: { authority: system, identifier: 'ALICE-1' },
      account: wallet.identity.address,
    }),
  );
  const items = await waitFor('six records in her inbox', async () => {
    const found = (await fetchInbox(stack.apiUrl, wallet)).filter((item) => item.kind === 'record');
    return found.length >= 6 ? found : undefined;
  });
  assert.equal(items.length, 6);
  const read = new Map<string, string>();
  for (const item of items) {
    const { location, key } = await wallet.recordKey(item);
    const opened = await openRecord(
      { chain: stack.chain, contracts: stack.engine.contracts, store: stack.engine.store },
      location,
      key,
    );
    const resource = JSON.parse(opened.record) as { id: string; meta: { versionId: string } };
    read.set(`${resource.id}/${resource.meta.versionId}`, opened.record);
  }
  for (const [i, o] of obs.entries()) {
    const served = await (
      await fetch(`${fhir.url}/Observation/${o.id}/_history/1`, { headers: { accept: 'application/fhir+json' } })
    ).text();
    assert.equal(read.get(`${o.id}/1`), served, `Observation ${i}: the record is the resource as served`);
  }
  assert.ok(read.has(`${obs[0]?.id}/2`), 'the update is a record of its own');
});
