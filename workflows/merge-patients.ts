import { proxyLocalActivities } from '@temporalio/workflow';
import type { PatientActivities, PatientIdentifier } from '../activities/patients/index.js';
import { localState } from './activity-options.js';
import type { MessageSource } from './ids.js';
import { wakeWaitingRecords } from './wake-waiting-records.js';

export interface MergePatientsInput {
  /** The merge message (HL7 ADT^A40), whose id keeps a re-sent merge one run. */
  source: MessageSource;
  /** PID-3: the identifier that stands. */
  surviving: PatientIdentifier;
  /** MRG-1: the identifier merged into it. */
  merged: PatientIdentifier;
}

const { mergePatients: repointEnrolmentMap } = proxyLocalActivities<PatientActivities>(localState);

/**
 * The hospital found two identifiers for one patient and keeps one: the enrolment map follows, so
 * records sent under either reach the same patient, and records that waited under the merged
 * identifier for a patient enrolled under the surviving one are anchored now.
 */
export async function mergePatients(input: MergePatientsInput): Promise<{ woken: number }> {
  const { account, waiting } = await repointEnrolmentMap(input.surviving, input.merged);
  return { woken: account === undefined ? 0 : await wakeWaitingRecords(waiting, account) };
}
