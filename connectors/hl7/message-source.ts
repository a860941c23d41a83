import type { PatientIdentifier } from '../../activities/patients/index.js';
import type { MessageSource } from '../../workflows/ids.js';
import { Hl7FormatError, Hl7Message } from './message.js';
import { openRouting, patientOf } from './routing.js';

export interface Hl7Envelope {
  source: Extract<MessageSource, { kind: 'hl7' }>;
  patient: PatientIdentifier;
}

/**
 * Where a message comes from (MSH-4, or MSH-3 when it is empty, and MSH-10: the workflow id) and
 * whose it is (PID-3 as routing reads it), for tools that start anchoring by hand — the demo and
 * the benchmarks. The MLLP intake routes with its configuration instead (routing.ts).
 */
export function hl7Envelope(text: string): Hl7Envelope {
  const message = Hl7Message.parse(text);
  const sendingFacility = message.msh.raw(4) || message.msh.raw(3);
  const controlId = message.msh.value(10);
  if (!sendingFacility)
    throw new Hl7FormatError('MSH-4 (sending facility) and MSH-3 (sending application) are both empty');
  if (!controlId) throw new Hl7FormatError('MSH-10 (message control id) is empty');
  const pid = message.segment('PID');
  if (!pid) throw new Hl7FormatError('the message has no PID segment, so it names no patient');
  const [route] = openRouting('hospital').facilities;
  return {
    source: { kind: 'hl7', sendingFacility, controlId },
    patient: patientOf(pid, 3, route as NonNullable<typeof route>, sendingFacility),
  };
}
