import { join } from 'node:path';
import { authorize } from '../../core/operators/authorization.js';
import { Role } from '../../core/roles.js';
import { hl7Envelope } from '../../connectors/hl7/message-source.js';
import { walletDir } from '../../wallet/node/wallet-dir.js';
import { Wallet } from '../../wallet/wallet.js';
import { SCRATCH_PASSWORD, SCRATCH_SCRYPT, type ScratchEngine } from '../scratch/engine.js';

/** A lab result as a hospital LIS sends it, for patient `patientId`, varied by `n`. */
export function syntheticOru(controlId: string, patientId: string, n: number): string {
  return [
    `MSH|^~\\&|BENCH LIS|BENCH HOSPITAL|YILIAN|YILIAN|20250101120000||ORU^R01^ORU_R01|${controlId}|P|2.5.1`,
    `PID|1||${patientId}^^^BENCH HOSPITAL&1.2.840.99999.1&ISO^MR||Doe^Jane||19800101|F`,
    `OBR|1|ORD-${n}||718-7^Hemoglobin [Mass/volume] in Blood^LN|||20250101110000`,
    `OBX|1|NM|718-7^Hemoglobin [Mass/volume] in Blood^LN||${(12 + (n % 40) / 10).toFixed(1)}|g/dL^^UCUM|12.0-16.0|N|||F`,
  ].join('\r');
}
/**
 * Patients with wallets of their own, `prekeys` one-time prekeys each, enrolled under the
 * identifier syntheticOru sends (or under `authority`): what anchoring needs to run to the end. Returns the identifiers.
 */
export async function enrolBenchPatients(
  stack: ScratchEngine,
  count: number,
  prekeys: number,
  runId: string,
  /** The assigning authority they are enrolled under; the synthetic ORU's when omitted. */
  authority?: string,
): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, k) => {
      const wallet = await Wallet.create(
        walletDir(join(stack.home, 'wallets', `patient-${runId}-${k}`)),
        SCRATCH_PASSWORD,
        SCRATCH_SCRYPT,
      );
      const bundle = await wallet.addPrekeys(prekeys);
      await stack.workflows.execute.registerIdentity(
        authorize(stack.operator, 'registerIdentity', {
          name: `Bench patient ${k} (${runId})`,
          role: Role.Patient,
          identity: wallet.identity,
          prekeyBundle: bundle,
        }),
      );
      const identifier = `BP${k}-${runId}`;
      const patient = authority ? { authority, identifier } : hl7Envelope(syntheticOru('probe', identifier, 0)).patient;
      await stack.workflows.execute.enrolPatient(
        authorize(stack.operator, 'enrolPatient', { patient, account: wallet.identity.address }),
      );
      return identifier;
    }),
  );
}
