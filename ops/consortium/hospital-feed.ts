import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CR, FS, MllpFramer, VT } from '../../connectors/mllp/framer.js';

/** Debian python3-hl7's MLLP client (ops/bootstrap installs it): the hospital's interface engine here. */
const MLLP_SEND = '/usr/bin/mllp_send';

/** A patient as a hospital's PID-3 names them: identifier (CX.1) and assigning authority (CX.4). */
export interface HospitalPatient {
  identifier: string;
  authority: string;
}

/**
 * An HL7 v2 message for one patient of this run: PID-3's first identifier and its authority
 * replaced, and MSH-10 made unique, so that a story can be run again on the same consortium. The
 * rest (the patient's name and the clinical content) stays as the sample has it.
 */
export function messageFor(sample: string, patient: HospitalPatient, controlId: string): string {
  const segments = sample.split(/\r\n|\r|\n/).filter((segment) => segment.length > 0);
  return (
    segments
      .map((segment) => {
        const fields = segment.split('|');
        if (fields[0] === 'MSH') fields[9] = controlId;
        if (fields[0] === 'PID') {
          const [first = '', ...others] = (fields[3] ?? '').split('~');
          const components = first.split('^');
          while (components.length < 4) components.push('');
          components[0] = patient.identifier;
          components[3] = patient.authority;
          fields[3] = [components.join('^'), ...others].join('~');
        }
        return fields.join('|');
      })
      .join('\r') + '\r'
  );
}

/**
 * Sends one message over MLLP as a hospital's system would, with `mllp_send`, and returns the
 * acknowledgement code (MSA-1): AA once the engine has durably taken it. A refused connection (the
 * engine down) is an error: the sending system keeps the message and sends it again later.
 */
export async function sendOverMllp(port: number, message: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'yilian-feed-'));
  try {
    const file = join(dir, 'message.hl7');
    // framed as on the wire: without --loose, mllp_send sends the file's frames byte for byte
    await writeFile(file, Buffer.concat([Buffer.of(VT), Buffer.from(message, 'utf8'), Buffer.of(FS, CR)]));
    const { stdout } = await promisify(execFile)(MLLP_SEND, ['-p', String(port), '--file', file, '127.0.0.1'], {
      encoding: 'buffer',
      timeout: 60_000,
    });
    const framer = new MllpFramer(1 << 20);
    framer.feed(stdout);
    const event = framer.next();
    if (event?.kind !== 'frame') throw new Error(`no acknowledgement from 127.0.0.1:${String(port)}`);
    const msa = Buffer.from(event.payload)
      .toString('utf8')
      .split('\r')
      .find((segment) => segment.startsWith('MSA|'));
    return msa?.split('|')[1] ?? 'none';
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
