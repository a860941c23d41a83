import { MockActivityEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { hexToBytes, type Hex } from 'viem';
import { createRecordActivities, createRecordNativeActivities } from '../../activities/records/index.js';
import { decodePrekeyBundle } from '../../core/keys/index.js';
import type { StoryOutcome } from '../../ops/demo/story.js';
import type { ScratchEngine } from '../../ops/scratch/engine.js';
import { fetchInbox } from '../../wallet/inbox-client.js';
import { openRecord, type OpenedRecord } from '../../wallet/open-record.js';

export const UNSEEN_PREKEY_RECORD = 'MSH|^~\\&|written at another hospital, under a prekey published there';

export interface UnseenPrekeyGrant {
  recordId: Hex;
  /** The grantAccess run that took the prekey on Alice's signature. */
  workflowId: string;
  /** What the grant's engine said to the same grant without the signed prekey. */
  withoutPrekey: string;
  readByCarol: OpenedRecord;
}

/**
 * Cross-hospital care on one test engine, after the story: Alice's wallet makes a prekey that it
 * never publishes here (it stands for one published to another hospital's engine, which wrote a
 * record for her under it, as Dr. Bob's key does here outside any workflow), then grants that
 * record to Dr. Carol through this engine, which has never seen the prekey. Without the signed
 * prekey it is refused as before; with it, Carol reads the record.
 */
export async function grantThroughUnseenPrekey(
  stack: ScratchEngine,
  outcome: StoryOutcome,
): Promise<UnseenPrekeyGrant> {
  const { alice, carol } = outcome.people;
  const run = <R>(call: () => Promise<R>): Promise<R> => new MockActivityEnvironment().run(call);
  const [prekey] = decodePrekeyBundle(hexToBytes(await alice.addPrekeys(1))).prekeys;
  if (!prekey) throw new Error('the wallet made no prekey');
  const signed = await alice.signedPrekey(prekey.index);

  // the other hospital's side: a record sealed for Alice under that prekey and created on chain
  const author = outcome.record.author.address;
  const sealed = await run(() =>
    createRecordNativeActivities({ store: stack.engine.store, keyring: stack.engine.keyring }).sealRecord({
      record: UNSEEN_PREKEY_RECORD,
      author,
      patient: alice.identity.address,
      prekey: { index: prekey.index, publicKey: signed.publicKey },
    }),
  );
  await run(() => createRecordActivities(stack.engine).createRecordOnChain(author, sealed));

  const grant = async (withSignedPrekey: boolean) => {
    const granteeKey = (await carol.newGranteeKey()).publicKey;
    const input = {
      recordId: sealed.recordId,
      cid: sealed.cid,
      patient: alice.identity.address,
      prekeyIndex: prekey.index,
      grantee: carol.identity.address,
      granteeKey,
      rk: await alice.rekey(prekey.index, granteeKey),
      ...(withSignedPrekey ? { prekey: signed } : {}),
    };
    return { input, workflowId: stack.workflows.workflowId.grantAccess(input) };
  };

  const unsigned = await grant(false);
  const withoutPrekey = await stack.workflows.execute.grantAccess(unsigned.input).then(
    () => 'granted',
    (error: unknown) =>
      error instanceof WorkflowFailedError ? (error.cause?.message ?? error.message) : String(error),
  );

  const granted = await grant(true);
  await stack.workflows.execute.grantAccess(granted.input);
  const item = (await fetchInbox(stack.apiUrl, carol)).find(
    (m) => m.kind === 'grant' && m.recordId === sealed.recordId,
  );
  if (!item) throw new Error("the grant is not in Carol's inbox");
  const { location, key } = await carol.recordKey(item);
  const readByCarol = await openRecord(
    { chain: stack.chain, contracts: stack.engine.contracts, store: stack.engine.store },
    location,
    key,
  );
  return { recordId: sealed.recordId, workflowId: granted.workflowId, withoutPrekey, readByCarol };
}
