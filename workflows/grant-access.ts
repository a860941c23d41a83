import { proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { InboxActivities } from '../activities/inbox/index.js';
import type { PatientActivities, PublishedPrekey } from '../activities/patients/index.js';
import type { RecordActivities, RecordNativeActivities } from '../activities/records/index.js';
import { chainIo, localState, nativeActivities } from './activity-options.js';

export interface GrantAccessInput {
  recordId: `0x${string}`;
  cid: string;
  /** The record's patient and prekey index (from the patient's inbox item). */
  patient: `0x${string}`;
  prekeyIndex: number;
  grantee: `0x${string}`;
  /** The grantee's fresh G2 PRE public key for this record. */
  granteeKey: `0x${string}`;
  /** rk = granteeKey^(1/a), made in the patient's wallet; the engine never sees a or b. */
  rk: `0x${string}`;
  /**
   * The record's prekey as the patient's wallet signed it (`Wallet.signedPrekey`), for an engine
   * the prekey was never published to: the grantee's, when the record was written at another's.
   */
  prekey?: PublishedPrekey;
}

const { validateGrantee, reencryptForGrantee } = proxyActivities<RecordActivities>(chainIo);
const { prekeyPublicKey } = proxyLocalActivities<PatientActivities>(localState);
const { signedPrekeyPublicKey } = proxyActivities<PatientActivities>(chainIo);
const { deliverToInbox } = proxyLocalActivities<InboxActivities>(localState);

/**
 * One record for one grantee: check the grantee in the Directory and that the re-encryption key
 * was made by the patient, have the chain re-encrypt in a read-only call (no transaction names the
 * grantee), and put the result in the grantee's inbox.
 */
export async function grantAccess(input: GrantAccessInput): Promise<{ grantee: string; granteeName: string }> {
  const grantee = await validateGrantee(input.grantee);
  const { checkRekey } = nativeActivities<RecordNativeActivities>();
  // A signed prekey may need the Directory (a chain read), so a regular activity takes it. Which
  // step runs follows from the input alone, and inputs from before the field took the local one,
  // so their histories replay as they were (no patch needed).
  const prekey =
    input.prekey === undefined
      ? await prekeyPublicKey(input.patient, input.prekeyIndex)
      : await signedPrekeyPublicKey(input.patient, input.prekeyIndex, input.prekey);
  await checkRekey(prekey, input.granteeKey, input.rk);
  const reencryptedKey = await reencryptForGrantee(input.recordId, input.rk);
  await deliverToInbox(input.grantee, workflowInfo().workflowId, {
    kind: 'grant',
    cid: input.cid,
    recordId: input.recordId,
    reencryptedKey,
    granteeKey: input.granteeKey,
    patient: input.patient,
    prekeyIndex: input.prekeyIndex,
  });
  return { grantee: input.grantee.toLowerCase(), granteeName: grantee.name };
}
