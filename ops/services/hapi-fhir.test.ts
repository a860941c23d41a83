import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, type FhirResource } from 'fhir-kit-client';
import { scratchFhirServer, type ScratchFhirServer } from '../scratch/fhir.js';
import { toolsDir } from '../scratch/services.js';
import { toolPath } from '../tools.js';

// What the FHIR puller relies on, checked against the real HAPI FHIR JPA server ./ops/test shares
// between test files: every resource here carries this run's own tag or identifier system.

interface Meta {
  versionId?: string;
  lastUpdated?: string;
  tag?: { system: string; code: string }[];
}
interface Resource extends FhirResource {
  id?: string;
  meta?: Meta;
}
interface Entry {
  resource?: Resource;
  request?: { method: string; url: string };
  response?: { status: string };
}
interface Bundle extends FhirResource {
  link: { relation: string; url: string }[];
  entry?: Entry[];
}

let fhir: ScratchFhirServer | undefined;
let client: Client;
const tag = { system: 'urn:yilian:test', code: randomUUID() };

before(async () => {
  fhir = await scratchFhirServer();
  client = new Client({ baseUrl: fhir.url });
});
after(() => fhir?.stop());

const statusOf = (resource: FhirResource) => Client.httpFor(resource).response?.status;
const idOf = (resource: Resource) => resource.id ?? assert.fail('the server gave no id');

function createObservation(patientId: string, value: number): Promise<Resource> {
  return client.create({
    resourceType: 'Observation',
    body: {
      resourceType: 'Observation',
      meta: { tag: [tag] },
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
      subject: { reference: `Patient/${patientId}` },
      valueQuantity: { value, unit: 'mg/dL' },
    },
  });
}

/** Every page from `first` on, following `next` links (HAPI's `_getpages`). */
async function pages(first: Bundle): Promise<Bundle[]> {
  const all = [first];
  for (let page = client.nextPage({ bundle: first }); page;) {
    const bundle = (await page) as Bundle;
    all.push(bundle);
    page = client.nextPage({ bundle });
  }
  return all;
}

/** An instant the server's clock has passed: its own `meta.lastUpdated` of a fresh write. */
async function serverNow(): Promise<string> {
  const marker = (await client.create({
    resourceType: 'Basic',
    body: { resourceType: 'Basic', meta: { tag: [tag] }, code: { text: 'clock' } },
  })) as Resource;
  return marker.meta?.lastUpdated ?? assert.fail('no meta.lastUpdated');
}

let patientId: string;

test('ops/fhir-server/build.sh and toolPath name the same build of the current sources', async () => {
  const build = fileURLToPath(new URL('../fhir-server/build.sh', import.meta.url));
  const { stdout } = await promisify(execFile)(build, { env: { ...process.env, YILIAN_TOOLS_DIR: toolsDir } });
  assert.equal(realpathSync(stdout.trim()), realpathSync(toolPath(toolsDir, 'hapi-fhir')));
});

test('the server is HAPI FHIR 8.8.0 speaking FHIR 4.0.1', async () => {
  const capabilities = (await client.capabilityStatement()) as FhirResource & {
    fhirVersion: string;
    software: { name: string; version: string };
  };
  assert.equal(capabilities.fhirVersion, '4.0.1');
  assert.deepEqual(capabilities.software, { name: 'HAPI FHIR Server', version: '8.8.0' });
});

test('a conditional create (If-None-Exist) creates the patient once, then answers 200 with it', async () => {
  const system = `urn:yilian:test:mrn:${tag.code}`;
  const create = () =>
    client.create({
      resourceType: 'Patient',
      body: { resourceType: 'Patient', identifier: [{ system, value: 'MRN-1' }], name: [{ family: 'Li' }] },
      options: { headers: { 'If-None-Exist': `identifier=${encodeURIComponent(`${system}|MRN-1`)}` } },
    }) as Promise<Resource>;
  const first = await create();
  const again = await create();
  assert.equal(statusOf(first), 201);
  assert.equal(statusOf(again), 200);
  assert.equal(again.id, first.id);
  assert.equal(again.meta?.versionId, '1');
  patientId = idOf(first);
  const found = (await client.search({
    resourceType: 'Patient',
    searchParams: { identifier: `${system}|MRN-1` },
  })) as Bundle;
  assert.deepEqual(
    found.entry?.map((entry) => entry.resource?.id),
    [patientId],
  );
});

test('a _lastUpdated search pages two at a time through next links, in _lastUpdated order', async () => {
  const since = await serverNow();
  const created: Resource[] = [];
  for (let value = 1; value <= 5; value++) created.push(await createObservation(patientId, value));
  const first = (await client.search({
    resourceType: 'Observation',
    searchParams: { _lastUpdated: `gt${since}`, _count: 2, _sort: '_lastUpdated', _tag: `${tag.system}|${tag.code}` },
  })) as Bundle;
  const all = await pages(first);
  assert.deepEqual(
    all.map((page) => page.entry?.length ?? 0),
    [2, 2, 1],
  );
  for (const page of all.slice(0, -1)) {
    const next = page.link.find((link) => link.relation === 'next')?.url ?? '';
    assert.match(next, /[?&]_getpages=/, 'HAPI pages through its own cached search');
  }
  assert.deepEqual(
    all.flatMap((page) => page.entry?.map((entry) => entry.resource?.id) ?? []),
    created.map(idOf),
  );
});

test('searches are cached for a minute; Cache-Control: no-cache sees a new resource at once', async () => {
  const since = await serverNow();
  const searchParams = { _lastUpdated: `gt${since}`, _tag: `${tag.system}|${tag.code}`, _count: 50 };
  const count = async (headers: Record<string, string> = {}) =>
    ((await client.search({ resourceType: 'Observation', searchParams, options: { headers } })) as Bundle).entry
      ?.length ?? 0;
  await createObservation(patientId, 10);
  assert.equal(await count(), 1);
  await createObservation(patientId, 11);
  assert.equal(await count(), 1, 'the same search within 60 s reuses the first one’s results');
  assert.equal(await count({ 'Cache-Control': 'no-cache' }), 2);
});

test('updates and deletes are new versions: _history?_since= lists each, newest first, paged', async () => {
  const observation = await createObservation(patientId, 20);
  const removed = await createObservation(patientId, 21);
  const since = await serverNow();
  const id = idOf(observation);

  const updated = (await client.update({
    resourceType: 'Observation',
    id,
    body: { ...observation, valueQuantity: { value: 22, unit: 'mg/dL' } },
  })) as Resource;
  assert.equal(updated.meta?.versionId, '2');
  assert.ok((updated.meta.lastUpdated ?? '') > since);

  await client.delete({ resourceType: 'Observation', id: idOf(removed) });
  await assert.rejects(
    client.read({ resourceType: 'Observation', id: idOf(removed) }),
    (error: { response?: { status?: number } }) => error.response?.status === 410,
    'a deleted resource is 410 Gone',
  );

  // type and system history since `since`, two entries a page, other tests' entries left out
  for (const path of ['Observation/_history', '_history']) {
    const first = (await client.request(`${path}?_since=${encodeURIComponent(since)}&_count=2`)) as Bundle;
    const entries = (await pages(first))
      .flatMap((page) => page.entry ?? [])
      .filter((entry) => [id, idOf(removed)].some((ours) => entry.request?.url.startsWith(`Observation/${ours}/`)));
    assert.deepEqual(
      entries.map((entry) => entry.request),
      [
        { method: 'DELETE', url: `Observation/${idOf(removed)}/_history/2` },
        { method: 'PUT', url: `Observation/${id}/_history/2` },
      ],
      `${path}: newest first; the delete has no resource, only its request`,
    );
    assert.equal(entries[0]?.resource, undefined);
    assert.equal(entries[1]?.resource?.meta?.versionId, '2');
  }

  const history = (await client.resourceHistory({ resourceType: 'Observation', id: idOf(removed) })) as Bundle;
  assert.deepEqual(
    history.entry?.map((entry) => [entry.request?.method, entry.resource?.meta?.versionId]),
    [
      ['DELETE', undefined],
      ['POST', '1'],
    ],
  );
});
