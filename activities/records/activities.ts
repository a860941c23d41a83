import { Context } from '@temporalio/activity';
import { hexToBytes, toHex, type Hex } from 'viem';
import { PRE_CIPHERTEXT_LENGTH } from '../../core/crypto/index.js';
import { RecordRegistry } from '../../contracts/artifacts.js';
import { readContract, writeContract, writeResult } from '../../core/ledger/contract-calls.js';
import { DirectoryError, requireIdentity } from '../../core/ledger/directory.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { GRANTEE_ROLES, isRole, roleName } from '../../core/roles.js';
import { badInput } from '../failures.js';
import { activityGroup } from '../activity-group.js';
import type { Engine } from '../engine.js';
import { cidHashOf, recordIdOf } from '../../core/records/record-format.js';
import { checkBatchSize, type SealedRecord } from './native-activities.js';
import { ChainEvidence } from '../../core/audit/chain-evidence.js';
import { recordCreatedTopics } from '../../core/audit/record-checks.js';
import { untimed, type CryptoTimer } from '../crypto-timer.js';

/** Record chain I/O of the `yilian` queue: creating records and re-encrypting one for a grantee. */
export function createRecordActivities(engine: Engine, time: CryptoTimer = untimed) {
  const { chain, contracts } = engine;
  return activityGroup({
    /**
     * `RecordRegistry.create`, idempotently: when the id already holds this very wrapped key (an
     * earlier attempt committed), that counts as done; another value under the id is a conflict.
     * The chain derives the id from the sender, so `author` must be the account that sealed it.
     */
    async createRecordOnChain(author: string, sealed: SealedRecord): Promise<{ transactionHash: Hex | null }> {
      const { recordId, wrappedKey } = sealed;
      const signer = await engine.keyring.identity(author);
      checkSealed(signer.address, author, sealed);
      // only this author can write the id, and the CID is fresh, so only an earlier attempt of this
      // very activity can have written it: look first on a retry, and skip the read on the first attempt
      if (Context.current().info.attempt > 1) {
        const existing = await storedRecord(recordId);
        if (existing !== undefined) return alreadyThere(existing.wrappedKey);
      }
      try {
        const receipt = await writeContract(chain, signer.secretKey, {
          address: contracts.recordRegistry,
          abi: RecordRegistry.abi,
          functionName: 'create',
          args: [toHex(cidHashOf(sealed.cid)), wrappedKey],
        });
        return { transactionHash: receipt.transactionHash as Hex };
      } catch (error) {
        if (!(error instanceof LedgerError && error.code === 'REVERTED' && error.message.includes('record exists')))
          throw error;
        return alreadyThere((await storedRecord(recordId))?.wrappedKey ?? '0x');
      }

      function alreadyThere(value: Hex) {
        requireSameKey(sealed, value);
        return { transactionHash: null };
      }
    },

    /**
     * Many records of one author in one `RecordRegistry.createBatch` transaction, idempotently: a
     * record an earlier attempt already wrote is skipped by the contract (`written: false`), checked
     * to hold this very wrapped key, and reported with the transaction that did write it (found
     * by its `RecordCreated` log in the record's block, as an audit finds it), so a retry after a
     * commit whose receipt was lost writes nothing twice and the history still names each record's
     * transaction. Results are in the order of `sealed`.
     */
    async createRecordsOnChain(
      author: string,
      sealedNow: SealedRecord[],
      claimed?: { claim: string; messageKeys: string[] },
    ): Promise<Array<{ recordId: Hex; cid: string; transactionHash: Hex; written: boolean }>> {
      checkBatchSize(sealedNow.length);
      const sealed = claimed ? await filedFirst(claimed, sealedNow) : sealedNow;
      const signer = await engine.keyring.identity(author);
      for (const record of sealed) checkSealed(signer.address, author, record);
      const request = { abi: RecordRegistry.abi, functionName: 'createBatch' } as const;
      const receipt = await writeContract(chain, signer.secretKey, {
        ...request,
        address: contracts.recordRegistry,
        args: [sealed.map((record) => toHex(cidHashOf(record.cid))), sealed.map((record) => record.wrappedKey)],
      });
      const [, created] = writeResult(request, receipt);
      // one reader for the batch: records skipped together were mostly written in one block
      const evidence = new ChainEvidence(chain);
      return Promise.all(
        sealed.map(async (record, i) => {
          const { recordId, cid } = record;
          if (created[i]) return { recordId, cid, transactionHash: receipt.transactionHash as Hex, written: true };
          const stored = await storedRecord(recordId);
          if (!stored) throw new Error(`createBatch skipped record ${recordId}, yet the registry does not hold it`);
          requireSameKey(record, stored.wrappedKey);
          const [writer] = await evidence.transactionsWithLog(Number(stored.createdAt), {
            address: contracts.recordRegistry,
            topics: recordCreatedTopics(recordId),
          });
          if (!writer) throw new Error(`no transaction in block ${stored.createdAt} logged RecordCreated(${recordId})`);
          return { recordId, cid, transactionHash: writer.transactionHash as Hex, written: false };
        }),
      );
    },

    /** A grantee must be a registered, unrevoked doctor, pharmacy, research institute or regulator. */
    async validateGrantee(grantee: string): Promise<{ name: string; role: number }> {
      const entry = await requireIdentity(chain, contracts.directory, grantee, 'grantee');
      if (!(isRole(entry.role) && GRANTEE_ROLES.has(entry.role))) {
        throw new DirectoryError(
          'WRONG_ROLE',
          `${grantee} (${entry.name}) is registered as ${roleName(entry.role)}; only doctors, pharmacies, research institutes and regulators receive grants`,
        );
      }
      return { name: entry.name, role: entry.role };
    },

    /** The chain's read-only re-encryption: no transaction, so nothing on chain names the grantee. */
    async reencryptForGrantee(recordId: Hex, rk: Hex): Promise<Hex> {
      return time('pre_reencrypt', () =>
        readContract(chain, {
          address: contracts.recordRegistry,
          abi: RecordRegistry.abi,
          functionName: 'reencrypt',
          args: [recordId, rk],
        }),
      );
    },
  });

  /**
   * The batch's records as its claim filed them first (docs/design.md § Anchoring in batches): a
   * run of the claim that sealed again (a reset one) sends what an earlier run may have committed.
   */
  async function filedFirst(
    { claim, messageKeys }: { claim: string; messageKeys: string[] },
    sealed: SealedRecord[],
  ): Promise<SealedRecord[]> {
    if (messageKeys.length !== sealed.length)
      throw badInput('BadRecordBatch', `${sealed.length} sealed records for ${messageKeys.length} claimed messages`);
    const filed = await engine.state.fileSealed(
      claim,
      sealed.map((record, i) => ({ ...record, messageKey: messageKeys[i] ?? '' })),
    );
    return filed.map(({ recordId, cid, wrappedKey }) => ({
      recordId: recordId as Hex,
      cid,
      wrappedKey: wrappedKey as Hex,
    }));
  }

  /** The wrapped key is a first-level ciphertext and the id is the one `author` creates for the CID. */
  function checkSealed(signer: Uint8Array, author: string, { recordId, cid, wrappedKey }: SealedRecord) {
    if (hexToBytes(wrappedKey).length !== PRE_CIPHERTEXT_LENGTH)
      throw badInput('BadWrappedKey', `wrapped key must be ${PRE_CIPHERTEXT_LENGTH} bytes`);
    if (toHex(recordIdOf(signer, cid)) !== recordId.toLowerCase())
      throw badInput('RecordIdMismatch', `record ${recordId} is not the id ${author} creates for ${cid}`);
  }

  /** An id on chain already holds our wrapped key (an earlier attempt's) or something else: a conflict. */
  function requireSameKey({ recordId, wrappedKey }: SealedRecord, stored: Hex) {
    if (stored.toLowerCase() !== wrappedKey.toLowerCase())
      throw badInput('RecordConflict', `record ${recordId} already exists on chain with another wrapped key`);
  }

  async function storedRecord(recordId: Hex): Promise<{ wrappedKey: Hex; createdAt: bigint } | undefined> {
    try {
      const [wrappedKey, createdAt] = await readContract(chain, {
        address: contracts.recordRegistry,
        abi: RecordRegistry.abi,
        functionName: 'get',
        args: [recordId],
      });
      return { wrappedKey, createdAt };
    } catch (error) {
      if (error instanceof LedgerError && error.code === 'REVERTED' && error.message.includes('no such record'))
        return undefined;
      throw error;
    }
  }
}

export type RecordActivities = ReturnType<typeof createRecordActivities>;
