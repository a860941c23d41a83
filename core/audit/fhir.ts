import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { AuditReport } from './report.js';

/*
 * The audit report as a FHIR R4 Bundle (type collection): one AuditEvent per anchored record,
 * grant, trace push, identity event and refusal, and one Provenance per anchored record. Nothing
 * in it is a FHIR reference to a resource elsewhere: who and what are identifiers (an account, a
 * record id, a trace id) with the Directory's name as display. It carries exactly what the JSON
 * report carries (docs/design.md § Audit and the regulator), no more.
 */

/** Identifier systems of the things a report names. */
export const FHIR_SYSTEMS = {
  account: 'urn:yilian:fisco-bcos:account',
  record: 'urn:yilian:record-id',
  trace: 'urn:yilian:trace-id',
  transaction: 'urn:yilian:fisco-bcos:transaction',
  workflow: 'urn:yilian:workflow-type',
} as const;

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const eventTypes = {
  record: { system: DCM, code: '110110', display: 'Patient Record' },
  export: { system: DCM, code: '110106', display: 'Export' },
  activity: { system: DCM, code: '110100', display: 'Application Activity' },
  security: { system: DCM, code: '110137', display: 'User Security Attributes Changed' },
} as const;
/** The DICOM event type of what each workflow does; any other is an application activity. */
const workflowEventTypes = new Map<string, (typeof eventTypes)[keyof typeof eventTypes]>([
  ['anchorRecord', eventTypes.record],
  ['mergePatients', eventTypes.record],
  ['grantAccess', eventTypes.export],
  ['registerIdentity', eventTypes.security],
  ['revokeIdentity', eventTypes.security],
  ['enrolPatient', eventTypes.security],
]);
/** AuditEvent.outcome: 0 success, 4 minor failure (a refusal is the engine saying no, as designed). */
const OUTCOME = { success: '0', refused: '4' } as const;

type Json = Record<string, unknown>;

export function auditReportBundle(report: AuditReport): Json {
  const source = {
    observer: { display: 'Yilian engine audit report' },
    type: [
      {
        system: 'http://terminology.hl7.org/CodeSystem/security-source-type',
        code: '4',
        display: 'Application Server',
      },
    ],
  };
  /** What kind of event, by the workflow that did (or was refused) it. */
  const kind = (workflowType: string) => ({
    type: workflowEventTypes.get(workflowType) ?? eventTypes.activity,
    subtype: [{ system: FHIR_SYSTEMS.workflow, code: workflowType }],
  });
  const agent = (who: { account: string; name: string; role: string }, requestor = true) => ({
    who: { identifier: { system: FHIR_SYSTEMS.account, value: who.account }, display: who.name || who.account },
    role: [{ text: who.role }],
    requestor,
  });
  const engine = { who: { display: 'Yilian engine' }, requestor: false };
  const onChain = (entry: { block: number; transaction: string }) => [
    { type: 'block', valueString: String(entry.block) },
    { type: 'transaction', valueString: entry.transaction },
  ];
  const event = (fields: Json): Json => ({ resourceType: 'AuditEvent', source, ...fields });

  const resources: Json[] = [];
  for (const record of report.anchored) {
    resources.push(
      event({
        ...kind('anchorRecord'),
        action: 'C',
        recorded: record.time,
        outcome: OUTCOME.success,
        agent: [agent(record.author)],
        entity: [
          {
            what: { identifier: { system: FHIR_SYSTEMS.record, value: record.recordId } },
            detail: onChain(record),
          },
        ],
      }),
      {
        resourceType: 'Provenance',
        target: [{ identifier: { system: FHIR_SYSTEMS.record, value: record.recordId } }],
        recorded: record.time,
        activity: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'CREATE' }],
        },
        agent: [
          {
            type: {
              coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author' }],
            },
            who: {
              identifier: { system: FHIR_SYSTEMS.account, value: record.author.account },
              display: record.author.name || record.author.account,
            },
          },
        ],
      },
    );
  }
  for (const grant of report.granted)
    resources.push(
      event({
        ...kind('grantAccess'),
        action: 'E',
        recorded: grant.time,
        outcome: OUTCOME.success,
        // neither the patient who granted nor the grantee is the report's business
        agent: [engine],
      }),
    );
  for (const push of report.traced)
    resources.push(
      event({
        ...kind('traceStep'),
        action: 'C',
        recorded: push.time,
        outcome: OUTCOME.success,
        agent: [agent(push.sender)],
        entity: push.steps.map((step) => ({
          what: { identifier: { system: FHIR_SYSTEMS.trace, value: step.traceId } },
          detail: [...onChain(push), { type: 'step index', valueString: String(step.index) }],
        })),
      }),
    );
  for (const identity of report.identities)
    resources.push(
      event({
        ...kind(identity.event === 'registered' ? 'registerIdentity' : 'revokeIdentity'),
        action: identity.event === 'registered' ? 'C' : 'D',
        recorded: identity.time,
        outcome: OUTCOME.success,
        agent: [engine],
        entity: [
          {
            ...(identity.account
              ? {
                  what: {
                    identifier: { system: FHIR_SYSTEMS.account, value: identity.account },
                    display: identity.name ?? identity.account,
                  },
                }
              : {}),
            detail: [{ type: 'role', valueString: identity.role }, ...onChain(identity)],
          },
        ],
      }),
    );
  for (const refusal of report.refused)
    resources.push(
      event({
        ...kind(refusal.workflowType),
        action: 'E',
        recorded: refusal.time,
        outcome: OUTCOME.refused,
        outcomeDesc: refusal.category,
        agent: [engine],
      }),
    );

  return {
    resourceType: 'Bundle',
    type: 'collection',
    timestamp: report.generatedAt,
    entry: resources.map((resource, index) => ({
      fullUrl: `urn:uuid:${uuidOf(`${report.generatedAt}|${String(index)}|${JSON.stringify(resource)}`)}`,
      resource,
    })),
  };
}

/** A name-based UUID (version 8 layout) for an entry: stable for the same report, unique within it. */
function uuidOf(text: string): string {
  const hex = bytesToHex(sha256(utf8ToBytes(text)))
    .slice(0, 32)
    .split('');
  hex[12] = '8';
  hex[16] = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
