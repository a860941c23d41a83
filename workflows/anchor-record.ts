import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { InboxActivities } from '../activities/inbox/index.js';
import type { PatientActivities, PatientIdentifier } from '../activities/patients/index.js';
import type { RecordActivities, RecordEncoding, RecordNativeActivities } from '../activities/records/index.js';
import { chainIo, localState, nativeActivities } from './activity-options.js';
import type { MessageSource } from './ids.js';

export interface AnchorRecordInput {
  source: MessageSource;
  /** The canonical record: HL7 v2 or FHIR JSON text. Encrypted in history by the payload codec. */
  record: string;
  /**
   * How `record` holds the record's bytes: `utf-8` text (the default), or `base64` of the exact
   * bytes a connector received (an HL7 v2 message in its own charset is anchored byte for byte).
   */
  encoding?: RecordEncoding;
  patient: PatientIdentifier;
  /** Account of the signing author (a doctor or the hospital), whose key this engine holds. */
  author: string;
  /** How long a record waits for its patient to enrol before the workflow gives up (default 365 days). */
  enrolmentDeadlineDays?: number;
}

export interface RecordReference {
  recordId: string;
  cid: string;
  patient: string;
  prekeyIndex: number;
  /** null when an earlier attempt had already written the record. */
  transactionHash: string | null;
}

export type AnchorStatus =
  'finding patient' | 'waiting for the patient to enrol' | 'sealing' | 'anchoring' | 'delivering' | 'anchored';

export const patientEnrolledSignal = defineSignal<[string]>('patientEnrolled');
export const anchorStatusQuery = defineQuery<AnchorStatus>('status');

const { createRecordOnChain } = proxyActivities<RecordActivities>(chainIo);
// quick look-ups and writes in the engine's own state run as local activities: no task-queue round trip
const { findPatientPrekey } = proxyLocalActivities<PatientActivities>(localState);
const { deliverToInbox } = proxyLocalActivities<InboxActivities>(localState);

/** How often a waiting record looks at the enrolment map again, in case a signal was lost. */
const ENROLMENT_RECHECK = '1 day';

/**
 * A hospital record becomes a record on chain that only the patient can open: claim one of the
 * patient's one-time prekeys, sign and encrypt, store, wrap the key to the prekey, create it on
 * chain, tell the patient. A record for a patient who has not enrolled waits here, encrypted in
 * history, until they do — it is never dropped and never encrypted to anyone else.
 */
export async function anchorRecord(input: AnchorRecordInput): Promise<RecordReference> {
  const { workflowId } = workflowInfo();
  let status: AnchorStatus = 'finding patient';
  const report = (next: AnchorStatus) => {
    status = next;
    setCurrentDetails(next);
  };
  setHandler(anchorStatusQuery, () => status);
  let enrolled = false;
  setHandler(patientEnrolledSignal, () => void (enrolled = true));

  let found = await findPatientPrekey(input.patient, workflowId);
  if (found === null) {
    report('waiting for the patient to enrol');
    const deadline = Date.now() + (input.enrolmentDeadlineDays ?? 365) * 24 * 3600 * 1000;
    while (found === null) {
      if (Date.now() > deadline) {
        throw ApplicationFailure.nonRetryable(
          `the patient did not enrol within ${input.enrolmentDeadlineDays ?? 365} days`,
          'PatientNotEnrolled',
        );
      }
      await condition(() => enrolled, ENROLMENT_RECHECK);
      enrolled = false;
      found = await findPatientPrekey(input.patient, workflowId);
    }
  }
  const { patient, prekey } = found;

  report('sealing');
  const { sealRecord } = nativeActivities<RecordNativeActivities>();
  const sealed = await sealRecord({
    record: input.record,
    encoding: input.encoding,
    author: input.author,
    patient,
    prekey,
  });

  report('anchoring');
  const { transactionHash } = await createRecordOnChain(input.author, sealed);

  report('delivering');
  await deliverToInbox(
    patient,
    workflowId,
    {
      kind: 'record',
      cid: sealed.cid,
      recordId: sealed.recordId,
      prekeyIndex: prekey.index,
      author: input.author.toLowerCase(),
    },
    { transactionHash },
  );

  report('anchored');
  return { recordId: sealed.recordId, cid: sealed.cid, patient, prekeyIndex: prekey.index, transactionHash };
}
