import { z } from 'zod';
import type { PatientIdentifier } from '../../activities/patients/index.js';
import type { IntakeWork } from '../intake/work.js';
import { Hl7FormatError, type Hl7Message, type Hl7Segment } from './message.js';

/**
 * Which HL7 v2 feeds this engine takes and what it does with each message, as configuration an
 * integration team can read (docs/hl7-routing.md): per sending facility, who signs its records;
 * which message types anchor a record, which merge patients. Everything else is refused.
 */
const facilityRoute = z.strictObject({
  /** MSH-4 as sent, or its first component (HD.1 namespace id); `*` for any facility. */
  facility: z.string().min(1),
  /** MSH-3 sending applications (HD.1) accepted from it; any when omitted. */
  applications: z.array(z.string().min(1)).min(1).optional(),
  /**
   * Who signs its records: the hospital identity, or the ordering (ORC-12, else OBR-16) or
   * attending (PV1-7) doctor when the engine holds that doctor's key (`doctors`), else the hospital.
   */
  signer: z.enum(['hospital', 'ordering', 'attending']).default('hospital'),
  /** The engine identity (its local name) that signs for the hospital. */
  hospital: z.string().min(1),
  /** Doctor ids as the feed sends them (XCN.1) → the engine identities that hold their keys. */
  doctors: z.record(z.string().min(1), z.string().min(1)).default({}),
  /** The assigning authority for a PID-3 that names neither CX.4 nor CX.6; the facility itself when omitted. */
  authority: z.string().min(1).optional(),
});

/** `ORU` (any trigger event) or `ADT^A01` (one event). */
const messageType = z.string().regex(/^[A-Z0-9]{3}(\^[A-Z0-9]{3})?$/, 'expected a message type like ORU or ADT^A01');

export const DEFAULT_ANCHORED_TYPES = [
  'ORU',
  'MDM',
  'RDE',
  'RDS',
  'VXU',
  'OUL',
  'ADT^A01',
  'ADT^A03',
  'ADT^A04',
  'ADT^A08',
] as const;

export const routingSchema = z.strictObject({
  facilities: z.array(facilityRoute).min(1, 'list at least one sending facility'),
  /** Message types whose messages are anchored as records. */
  anchor: z.array(messageType).default([...DEFAULT_ANCHORED_TYPES]),
  /** Message types that merge two identifiers of one patient (PID-3 survives, MRG-1 is merged). */
  merge: z.array(messageType).default(['ADT^A40']),
});

export type RoutingConfig = z.infer<typeof routingSchema>;
export type FacilityRoute = RoutingConfig['facilities'][number];

/** The embedded default: any facility, any application, signed by the engine's hospital identity. */
export const openRouting = (hospital: string): RoutingConfig =>
  routingSchema.parse({ facilities: [{ facility: '*', hospital }] });

/** Engine identity names resolved to the accounts whose keys this engine holds. */
export type IdentityAccounts = ReadonlyMap<string, string>;

/** Why a message is refused, in acknowledgement terms (HL7 table 0008 and table 0357). */
export interface Refusal {
  /** `error`: AE/CE, the message is at fault; `reject`: AR/CR, its type is not taken here. */
  status: 'error' | 'reject';
  hl7ErrorCode: number;
  reason: string;
  location?: string;
}

export type Routed = { ok: true; work: IntakeWork } | { ok: false; refusal: Refusal };

const refuse = (status: Refusal['status'], hl7ErrorCode: number, reason: string, location?: string): Routed => ({
  ok: false,
  refusal: { status, hl7ErrorCode, reason, ...(location === undefined ? {} : { location }) },
});

/** Table 0357 codes this router answers with. */
const REQUIRED_FIELD_MISSING = 101;
const SEGMENT_SEQUENCE = 100;
const TABLE_VALUE_NOT_FOUND = 103;
const UNSUPPORTED_MESSAGE_TYPE = 200;
const UNSUPPORTED_EVENT = 201;

/**
 * What to do with one message: the workflow start it owes (anchor its exact bytes, or merge two
 * identifiers), or why it is refused. `record` is the message as received, base64, so the record
 * anchored is byte for byte what the hospital sent whatever its charset.
 */
export function routeHl7(
  message: Hl7Message,
  record: Uint8Array,
  config: RoutingConfig,
  accounts: IdentityAccounts,
): Routed {
  const { msh } = message;
  const sendingFacility = msh.raw(4) || msh.raw(3);
  if (!sendingFacility)
    return refuse('error', REQUIRED_FIELD_MISSING, 'MSH-4 (sending facility) and MSH-3 are both empty', 'MSH^1^4');
  const controlId = msh.value(10);
  if (!controlId) return refuse('error', REQUIRED_FIELD_MISSING, 'MSH-10 (message control id) is empty', 'MSH^1^10');
  const route = config.facilities.find((r) => facilityMatches(r, msh, sendingFacility));
  if (!route)
    return refuse(
      'error',
      TABLE_VALUE_NOT_FOUND,
      `sending facility ${sendingFacility} (application ${msh.raw(3) || 'none'}) is not configured on this engine`,
      'MSH^1^4',
    );

  const [type, event] = [msh.value(9, { component: 1 }), msh.value(9, { component: 2 })];
  const named = event ? `${type}^${event}` : type;
  const is = (patterns: readonly string[]) => patterns.some((p) => p === type || p === named);
  const action = is(config.merge) ? 'merge' : is(config.anchor) ? 'anchor' : undefined;
  if (!action) {
    const typeKnown = [...config.anchor, ...config.merge].some((p) => p.startsWith(`${type}^`));
    return refuse(
      'reject',
      typeKnown ? UNSUPPORTED_EVENT : UNSUPPORTED_MESSAGE_TYPE,
      `message type ${named || '(empty MSH-9)'} is not taken by this engine (it anchors ${config.anchor.join(', ')} and merges on ${config.merge.join(', ')})`,
      'MSH^1^9',
    );
  }

  const pid = message.segment('PID');
  if (!pid) return refuse('error', SEGMENT_SEQUENCE, 'the message has no PID segment, so it names no patient', 'PID');
  const source = { kind: 'hl7' as const, sendingFacility, controlId };
  try {
    const patient = patientOf(pid, 3, route, sendingFacility);
    if (action === 'merge') {
      const mrg = message.segment('MRG');
      if (!mrg)
        return refuse('error', SEGMENT_SEQUENCE, `${named} has no MRG segment naming the merged patient`, 'MRG');
      return {
        ok: true,
        work: {
          workflow: 'mergePatients',
          input: { source, surviving: patient, merged: patientOf(mrg, 1, route, sendingFacility) },
        },
      };
    }
    const author = signerOf(message, route, accounts);
    return {
      ok: true,
      work: {
        workflow: 'anchorRecord',
        input: { source, record: Buffer.from(record).toString('base64'), encoding: 'base64', patient, author },
      },
    };
  } catch (error) {
    if (error instanceof Hl7FormatError) return refuse('error', REQUIRED_FIELD_MISSING, error.message, error.location);
    throw error;
  }
}

function facilityMatches(route: FacilityRoute, msh: Hl7Segment, facility: string): boolean {
  const facilityOk =
    route.facility === '*' || route.facility === facility || route.facility === msh.value(4, { component: 1 });
  return facilityOk && (!route.applications || route.applications.includes(msh.value(3, { component: 1 })));
}

/**
 * A patient list field (PID-3, MRG-1): the first identifier (CX.1) with its assigning authority
 * (CX.4). Real feeds often leave CX.4 empty, so the assigning facility (CX.6) stands in, then the
 * route's default authority, then the sending facility itself: only an identifier-less list is an error.
 */
export function patientOf(
  segment: Hl7Segment,
  field: number,
  route: FacilityRoute,
  facility: string,
): PatientIdentifier {
  const repetitions = segment.repetitions(field);
  const index = repetitions.findIndex((_, repetition) => segment.value(field, { repetition }) !== '');
  if (index < 0)
    throw new Hl7FormatError(`${segment.name}-${field} has no patient identifier (CX.1)`, segment.location(field, 1));
  const authority =
    segment.component(field, 4, index) || segment.component(field, 6, index) || route.authority || facility;
  return { identifier: segment.value(field, { repetition: index }), authority };
}

/** The account that signs this message's record: a configured doctor whose key the engine holds, else the hospital. */
function signerOf(message: Hl7Message, route: FacilityRoute, accounts: IdentityAccounts): string {
  const doctorId =
    route.signer === 'ordering'
      ? message.segment('ORC')?.value(12) || message.segment('OBR')?.value(16)
      : route.signer === 'attending'
        ? message.segment('PV1')?.value(7)
        : undefined;
  const doctor = doctorId ? route.doctors[doctorId] : undefined;
  const account = (doctor && accounts.get(doctor)) ?? accounts.get(route.hospital);
  // names are resolved when the listener starts (connectors/hl7/intake-handler.ts), so this is a bug
  if (account === undefined) throw new Error(`engine identity ${route.hospital} was not resolved at start`);
  return account;
}

/** Every engine identity a routing configuration names, to resolve (and check) when the listener starts. */
export function identityNames(config: RoutingConfig): string[] {
  return [...new Set(config.facilities.flatMap((r) => [r.hospital, ...Object.values(r.doctors)]))];
}
