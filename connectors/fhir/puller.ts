import { sha256 } from '@noble/hashes/sha2.js';
import { Client } from 'fhir-kit-client';
import type { PatientIdentifier } from '../../activities/patients/index.js';
import { workflowIdOfWork, type EnqueueOutcome, type IntakeQueue } from '../intake/queue.js';
import type { IntakeWork } from '../intake/work.js';
import { authorizationFor, type AuthorizationHeader } from './authorization.js';
import { changedVersions, oldestFirst, type FhirVersion } from './history.js';
import type { FhirServer } from './servers.js';

/** Where a puller keeps, durably, what it has taken from each server (connectors/fhir/state.ts). */
export interface PullState {
  /** The `lastUpdated` of the newest version already queued, or undefined before the first pull. */
  watermark(server: string): Promise<string | undefined>;
  setWatermark(server: string, lastUpdated: string): Promise<void>;
  /** A delete is noted here, not on chain: the record of every earlier version stands. */
  noteDeleted(server: string, version: FhirVersion): Promise<void>;
  /** A version that names no patient cannot be anchored; kept with the reason (no PHI). */
  noteUnanchorable(server: string, version: FhirVersion, reason: string): Promise<void>;
}

export interface PullReport {
  queued: number;
  duplicates: number;
  conflicts: number;
  deleted: number;
  unanchorable: number;
  watermark: string | undefined;
}

/** Patient references per resource type: `subject` for most, `patient` for Immunization. */
const PATIENT_FIELDS = ['subject', 'patient'] as const;

/**
 * One pull of one FHIR server into the intake queue: every version changed since the watermark
 * (less the overlap), oldest first, each queued as the `anchorRecord` of its exact bytes (read back
 * with a vread, as served) under `fhir:<server>:<type>/<id>/<version>`. The watermark moves only
 * after every page of every type is queued, so a pull cut short is repeated, and what it queued
 * already is a duplicate, not a second record.
 */
export async function pullServer(options: {
  server: FhirServer;
  queue: IntakeQueue;
  state: PullState;
  /** The account of the engine identity that signs this server's records. */
  author: string;
  authorization?: AuthorizationHeader;
  fetchImpl?: typeof fetch;
}): Promise<PullReport> {
  const { server, queue, state, author } = options;
  const fetchImpl = options.fetchImpl ?? fetch;
  const authorization = options.authorization ?? authorizationFor(server, fetchImpl);
  const header = await authorization();
  const baseUrl = server.baseUrl.replace(/\/+$/, '');
  // HAPI answers a repeated query from a cache for a minute; a poll must see what changed since
  const customHeaders: Record<string, string> = {
    'cache-control': 'no-cache',
    ...(header ? { authorization: header } : {}),
  };
  const client = new Client({ baseUrl, customHeaders });
  const readRaw = async (path: string): Promise<Uint8Array> => {
    const response = await fetchImpl(`${baseUrl}/${path}`, {
      headers: { accept: 'application/fhir+json', ...(header ? { authorization: header } : {}) },
    });
    if (!response.ok) throw new Error(`${server.name}: GET ${path} answered HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };

  const previous = await state.watermark(server.name);
  const start = previous ?? server.since ?? '1970-01-01T00:00:00.000Z';
  const since = new Date(Date.parse(start) - (previous ? server.overlapSeconds * 1000 : 0)).toISOString();
  const versions: FhirVersion[] = [];
  for (const type of server.resourceTypes)
    versions.push(...(await changedVersions(client, type, since, server.pageSize)));
  versions.sort(oldestFirst);

  const report: PullReport = {
    queued: 0,
    duplicates: 0,
    conflicts: 0,
    deleted: 0,
    unanchorable: 0,
    watermark: previous,
  };
  const patients = new Map<string, PatientIdentifier | string>();
  for (const version of versions) {
    if (version.deleted) {
      await state.noteDeleted(server.name, version);
      report.deleted++;
      continue;
    }
    const path = `${version.resourceType}/${version.id}/_history/${version.versionId}`;
    const bytes = await readRaw(path);
    const patient = await patientOf(
      JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>,
      server,
      client,
      patients,
    );
    if (typeof patient === 'string') {
      await state.noteUnanchorable(server.name, version, patient);
      report.unanchorable++;
      continue;
    }
    const work: IntakeWork = {
      workflow: 'anchorRecord',
      input: {
        source: {
          kind: 'fhir',
          server: server.name,
          resourceType: version.resourceType,
          id: version.id,
          versionId: version.versionId,
        },
        record: Buffer.from(bytes).toString('base64'),
        encoding: 'base64',
        patient,
        author,
      },
    };
    const outcome: EnqueueOutcome = await queue.enqueue({
      key: workflowIdOfWork(work),
      digest: sha256(bytes),
      work,
      channel: 'fhir',
      receivedAt: new Date().toISOString(),
    });
    report[outcome === 'queued' ? 'queued' : outcome === 'duplicate' ? 'duplicates' : 'conflicts']++;
  }
  // a delete carries no time of its own: it is seen again while it is inside the overlap, and noted once
  const newest = versions.findLast((v) => v.lastUpdated !== undefined)?.lastUpdated;
  if (newest && (!previous || newest > previous)) {
    await state.setWatermark(server.name, newest);
    report.watermark = newest;
  }
  return report;
}

/**
 * The patient a resource is about: its `subject` (or `patient`) reference read as a Patient, named
 * by the configured identifier system (else the first identifier with a system and a value), the
 * system becoming the assigning authority. A reason string when there is none; looked up once per
 * pull.
 */
async function patientOf(
  resource: Record<string, unknown>,
  server: FhirServer,
  client: Client,
  cache: Map<string, PatientIdentifier | string>,
): Promise<PatientIdentifier | string> {
  const reference = PATIENT_FIELDS.map(
    (field) => (resource[field] as { reference?: unknown } | undefined)?.reference,
  ).find((value): value is string => typeof value === 'string');
  const match = reference ? /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/.*)?$/.exec(reference) : null;
  if (!match?.[1]) return `${String(resource.resourceType)} names no Patient in subject or patient`;
  const key = match[1];
  const known = cache.get(key);
  if (known !== undefined) return known;
  type Patient = { identifier?: Array<{ system?: unknown; value?: unknown }> };
  let patient: Patient;
  try {
    patient = (await client.read({ resourceType: 'Patient', id: key })) as Patient;
  } catch (error) {
    // a patient that is gone cannot be named: set the version aside; anything else is the server's trouble, and retried
    const status = (error as { response?: { status?: unknown } }).response?.status;
    if (status !== 404 && status !== 410) throw error;
    const gone = `Patient/${key} cannot be read (HTTP ${String(status)})`;
    cache.set(key, gone);
    return gone;
  }
  const identifiers = (patient.identifier ?? []).filter(
    (i): i is { system: string; value: string } =>
      typeof i.system === 'string' && typeof i.value === 'string' && i.value !== '',
  );
  const chosen = server.patientIdentifierSystem
    ? identifiers.find((i) => i.system === server.patientIdentifierSystem)
    : identifiers[0];
  const found: PatientIdentifier | string = chosen
    ? { authority: chosen.system, identifier: chosen.value }
    : `Patient/${key} has no identifier${server.patientIdentifierSystem ? ` in ${server.patientIdentifierSystem}` : ' with a system'}`;
  cache.set(key, found);
  return found;
}
