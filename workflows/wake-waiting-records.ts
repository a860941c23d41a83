import { getExternalWorkflowHandle } from '@temporalio/workflow';
import { patientEnrolledSignal } from './anchor-record.js';

/** Tells each record waiting for this patient that they can be found now; returns how many heard it. */
export async function wakeWaitingRecords(workflowIds: readonly string[], account: string): Promise<number> {
  let woken = 0;
  for (const workflowId of workflowIds) {
    try {
      await getExternalWorkflowHandle(workflowId).signal(patientEnrolledSignal, account);
      woken++;
    } catch {
      // it finished meanwhile; a waiting record also re-checks the map by itself
    }
  }
  return woken;
}
