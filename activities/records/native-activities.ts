import { ApplicationFailure } from '@temporalio/common';
import { hexToBytes, toHex, type Hex } from 'viem';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { generateDek, initPre, preEncrypt, preVerifyRekey, seal, signRecordAs, wipe } from '../../core/crypto/index.js';
import { signDigest } from '../../native/index.js';
import { badInput } from '../failures.js';
import { activityGroup } from '../activity-group.js';
import type { EngineKeyring } from '../state/index.js';
import type { ContentStore } from '../../core/storage/index.js';
import { contentContext, recordIdOf, wrapContext } from '../../core/records/record-format.js';
import type { ClaimedPrekey } from '../patients/index.js';
import { untimed, type CryptoTimer } from '../crypto-timer.js';

/**
 * The failure type of a batch's sealing where some records cannot be sealed for a reason of their
 * own; its details hold the {@link PoisonRecord}s, and the batch goes on without them.
 */
export const POISON_RECORDS = 'PoisonRecords';

/** A record of a batch that cannot be sealed: its position in the batch, and why. */
export interface PoisonRecord {
  index: number;
  reason: string;
}

/** The most records one batch takes, sealed or created: `RecordRegistry.MAX_BATCH`. */
export const MAX_RECORD_BATCH = 256;

/** Records of a batch sealed side by side. */
const SEALED_AT_ONCE = 16;

/** A batch of records is 1 to {@link MAX_RECORD_BATCH}; another size is bad input. */
export function checkBatchSize(count: number): void {
  if (count === 0 || count > MAX_RECORD_BATCH)
    throw badInput('BadRecordBatch', `a batch is 1 to ${MAX_RECORD_BATCH} records, not ${count}`);
}

/** How a workflow input carries record bytes: UTF-8 text, or base64 of bytes in another charset. */
export type RecordEncoding = 'utf-8' | 'base64';

export interface SealRecordInput {
  /** The canonical record (HL7 v2 or FHIR JSON text), encoded as `encoding` says. */
  record: string;
  encoding?: RecordEncoding | undefined;
  author: string;
  patient: string;
  prekey: ClaimedPrekey;
}

export interface SealedRecord {
  cid: string;
  recordId: Hex;
  wrappedKey: Hex;
}

/**
 * The record's cryptography in one activity of the `yilian-native` queue: sign, encrypt under a
 * fresh DEK, store, wrap the DEK to the prekey. The DEK never leaves this function, so it is in no
 * workflow history; a retry makes a new DEK and CID, and only the attempt that completes counts.
 */
export function createRecordNativeActivities(deps: {
  store: ContentStore;
  keyring: EngineKeyring;
  time?: CryptoTimer;
}) {
  const time = deps.time ?? untimed;
  const sealOne = async (input: SealRecordInput, bytes: Uint8Array): Promise<SealedRecord> => {
    const author = await deps.keyring.identity(input.author);
    const signed = signRecordAs(author, bytes, signDigest);
    const dek = generateDek();
    try {
      const content = seal(dek, contentContext(hexToBytes(input.patient as Hex), input.prekey.index), signed);
      const cid = (await deps.store.put(content)).toString();
      const recordId = recordIdOf(author.address, cid);
      const wrappedKey = await time('pre_encrypt', () =>
        Promise.resolve(preEncrypt(hexToBytes(input.prekey.publicKey), dek, wrapContext(recordId))),
      );
      return { cid, recordId: toHex(recordId), wrappedKey: toHex(wrappedKey) };
    } finally {
      wipe(dek, signed);
    }
  };
  return activityGroup({
    async sealRecord(input: SealRecordInput): Promise<SealedRecord> {
      await initPre();
      return sealOne(input, recordBytes(input));
    },

    /**
     * A batch's records sealed in one activity, each as `sealRecord` seals one, in order. A retry
     * seals them all anew (new DEKs and CIDs): only the attempt that completes is used.
     */
    async sealRecords(inputs: SealRecordInput[]): Promise<SealedRecord[]> {
      checkBatchSize(inputs.length);
      // every record's bytes before any is sealed: one that cannot be read fails alone, named, and
      // the batch seals the others without it (POISON_RECORDS)
      const poison: PoisonRecord[] = [];
      const readable = inputs.flatMap((input, index) => {
        try {
          return [{ input, bytes: recordBytes(input) }];
        } catch (error) {
          const { type, message } = error as ApplicationFailure;
          poison.push({ index, reason: `${type ?? 'Error'}: ${message}` });
          return [];
        }
      });
      if (poison.length > 0)
        throw ApplicationFailure.create({
          type: POISON_RECORDS,
          message: `${poison.length} of ${inputs.length} records cannot be sealed: ${poison.map((p) => `#${p.index} ${p.reason}`).join('; ')}`,
          nonRetryable: true,
          details: [poison],
        });
      await initPre();
      const sealed: SealedRecord[] = [];
      // the store's writes (an fsync each, or a round trip to kubo) overlap: measured on the
      // embedded store, 1.7 ms a record 16 at a time against 4.3 ms one by one
      for (let i = 0; i < readable.length; i += SEALED_AT_ONCE)
        sealed.push(
          ...(await Promise.all(
            readable.slice(i, i + SEALED_AT_ONCE).map(({ input, bytes }) => sealOne(input, bytes)),
          )),
        );
      return sealed;
    },

    /**
     * A re-encryption key for the record's prekey and the grantee's key checks out only if it was
     * made with the prekey's secret: that is what authorises a grant, since only the patient has it.
     */
    async checkRekey(prekeyPublicKey: Hex, granteeKey: Hex, rk: Hex): Promise<void> {
      await initPre();
      const valid = await time('pre_verify_rekey', () =>
        Promise.resolve(preVerifyRekey(hexToBytes(prekeyPublicKey), hexToBytes(granteeKey), hexToBytes(rk))),
      );
      if (!valid) {
        throw badInput('BadRekey', "the re-encryption key was not made from this record's prekey for this grantee key");
      }
    },
  });
}

export type RecordNativeActivities = ReturnType<typeof createRecordNativeActivities>;

function recordBytes({ record, encoding }: SealRecordInput): Uint8Array {
  if (encoding !== 'base64') return utf8ToBytes(record);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(record) || record.length % 4 !== 0)
    throw badInput('BadRecordEncoding', 'the record is marked base64 but is not base64 text');
  return Uint8Array.from(Buffer.from(record, 'base64'));
}
