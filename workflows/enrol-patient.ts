import { proxyActivities } from '@temporalio/workflow';
import type { EnrolmentRequest, PatientActivities, RedeemedEnrolment } from '../activities/patients/index.js';
import type { Authorized } from '../core/operators/authorization.js';
import { chainIo } from './activity-options.js';
import { wakeWaitingRecords } from './wake-waiting-records.js';

/**
 * An enrolment a hospital operator of this engine signed (docs/security.md § Operators), or one a
 * patient redeemed with the one-time code of an offer such an operator signed.
 */
export type EnrolPatientInput = Authorized<EnrolmentRequest> | RedeemedEnrolment;

const { enrolPatient: addToEnrolmentMap } = proxyActivities<PatientActivities>(chainIo);

/** Maps the hospital's patient identifier to the patient's account and wakes every record waiting for them. */
export async function enrolPatient(input: EnrolPatientInput): Promise<{ woken: number }> {
  const waiting = await addToEnrolmentMap(input);
  return { woken: await wakeWaitingRecords(waiting, input.account.toLowerCase()) };
}
