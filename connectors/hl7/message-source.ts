import type { PatientIdentifier } from '../../activities/patients/index.js';
import type { MessageSource } from '../../workflows/ids.js';

export class Hl7FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Hl7FormatError';
  }
}

export interface Hl7Envelope {
  source: Extract<MessageSource, { kind: 'hl7' }>;
  patient: PatientIdentifier;
}

/**
 * The two things anchoring needs from an HL7 v2 message before any full parse: where it comes
 * from (MSH-4 sending facility, or MSH-3 when it is empty, and MSH-10 control id — the workflow id) and whose it is (PID-3's first
 * identifier, CX.1 with its CX.4 assigning authority). Separators come from MSH-1/MSH-2.
 */
export function hl7Envelope(message: string): Hl7Envelope {
  // files often start with a UTF-8 byte-order mark; it is not part of MSH
  const segments = message
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .filter((s) => s.length > 0);
  const msh = segments[0];
  if (!msh?.startsWith('MSH') || msh.length < 8) throw new Hl7FormatError('HL7 message must start with an MSH segment');
  const field = msh[3] as string;
  const [component, repetition, , subcomponent] = msh.slice(4, 8);
  if (!component || !repetition || !subcomponent)
    throw new Hl7FormatError('MSH-2 must declare the component, repetition, escape and subcomponent separators');
  // MSH-1 is the field separator itself, so MSH-n is split index n - 1
  const mshFields = msh.split(field);
  // some senders leave MSH-4 empty and name themselves in MSH-3 only
  const sendingFacility = mshFields[3] || mshFields[2] || '';
  const controlId = mshFields[9] ?? '';
  if (!sendingFacility)
    throw new Hl7FormatError('MSH-4 (sending facility) and MSH-3 (sending application) are both empty');
  if (!controlId) throw new Hl7FormatError('MSH-10 (message control id) is empty');

  const pid = segments.find((s) => s.startsWith(`PID${field}`));
  if (!pid) throw new Hl7FormatError('the message has no PID segment, so it names no patient');
  const firstId = (pid.split(field)[3] ?? '').split(repetition)[0] ?? '';
  const cx = firstId.split(component);
  const identifier = cx[0] ?? '';
  const authority = cx[3] ?? '';
  if (!identifier) throw new Hl7FormatError('PID-3 has no identifier (CX.1)');
  if (!authority) throw new Hl7FormatError('PID-3 has no assigning authority (CX.4), so the identifier is ambiguous');
  return { source: { kind: 'hl7', sendingFacility, controlId }, patient: { authority, identifier } };
}
