import { getExternalWorkflowHandle, proxyActivities } from '@temporalio/workflow';
import type { EnrolmentRequest, PatientActivities } from '../activities/patients/index.js';
import type { Authorized } from '../core/operators/authorization.js';
import { patientEnrolledSignal } from './anchor-record.js';
import { chainIo } from './activity-options.js';

/** An enrolment a hospital operator of this engine signed (docs/security.md § Operators). */
export type EnrolPatientInput = Authorized<EnrolmentRequest>;

const { enrolPatient: addToEnrolmentMap } = proxyActivities<PatientActivities>(chainIo);

/** Maps the hospital's patient identifier to the patient's account and wakes every record waiting for them. */
export async function enrolPatient(input: EnrolPatientInput): Promise<{ woken: number }> {
  const waiting = await addToEnrolmentMap(input);
  let woken = 0;
  for (const workflowId of waiting) {
    try {
      await getExternalWorkflowHandle(workflowId).signal(patientEnrolledSignal, input.account.toLowerCase());
      woken++;
    } catch {
      // it finished meanwhile; a waiting record also re-checks the map by itself
    }
  }
  return { woken };
}
