import { getExternalWorkflowHandle, proxyActivities } from '@temporalio/workflow';
import type { PatientActivities, PatientIdentifier } from '../activities/patients/index.js';
import { patientEnrolledSignal } from './anchor-record.js';
import { chainIo } from './activity-options.js';

export interface EnrolPatientInput {
  patient: PatientIdentifier;
  /** The patient's registered account. */
  account: string;
}

const { enrolPatient: addToEnrolmentMap } = proxyActivities<PatientActivities>(chainIo);

/** Maps the hospital's patient identifier to the patient's account and wakes every record waiting for them. */
export async function enrolPatient(input: EnrolPatientInput): Promise<{ woken: number }> {
  const waiting = await addToEnrolmentMap(input.patient, input.account);
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
