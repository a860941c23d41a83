import { Context } from '@temporalio/activity';
import { hexToBytes, toHex, type Hex } from 'viem';
import { PRE_CIPHERTEXT_LENGTH } from '../../core/crypto/index.js';
import { RecordRegistry } from '../../contracts/artifacts.js';
import { readContract, writeContract } from '../../core/ledger/contract-calls.js';
import { DirectoryError, requireIdentity } from '../../core/ledger/directory.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { GRANTEE_ROLES, isRole, roleName } from '../../core/roles.js';
import { badInput } from '../failures.js';
import { activityGroup } from '../activity-group.js';
import type { Engine } from '../engine.js';
import { cidHashOf, recordIdOf } from '../../core/records/record-format.js';
import type { SealedRecord } from './native-activities.js';
import { untimed, type CryptoTimer } from '../crypto-timer.js';

/** Record chain I/O of the `yilian` queue: creating a record and re-encrypting it for a grantee. */
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
      if (hexToBytes(wrappedKey).length !== PRE_CIPHERTEXT_LENGTH)
        throw badInput('BadWrappedKey', `wrapped key must be ${PRE_CIPHERTEXT_LENGTH} bytes`);
      const signer = await engine.keyring.identity(author);
      if (toHex(recordIdOf(signer.address, sealed.cid)) !== recordId.toLowerCase())
        throw badInput('RecordIdMismatch', `record ${recordId} is not the id ${author} creates for ${sealed.cid}`);
      // only this author can write the id, and the CID is fresh, so only an earlier attempt of this
      // very activity can have written it: look first on a retry, and skip the read on the first attempt
      if (Context.current().info.attempt > 1) {
        const existing = await storedWrappedKey(recordId);
        if (existing !== undefined) return alreadyThere(existing);
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
        return alreadyThere((await storedWrappedKey(recordId)) as Hex);
      }

      function alreadyThere(value: Hex) {
        if (value.toLowerCase() !== wrappedKey.toLowerCase())
          throw badInput('RecordConflict', `record ${recordId} already exists on chain with another wrapped key`);
        return { transactionHash: null };
      }
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

  async function storedWrappedKey(recordId: Hex): Promise<Hex | undefined> {
    try {
      const [wrappedKey] = await readContract(chain, {
        address: contracts.recordRegistry,
        abi: RecordRegistry.abi,
        functionName: 'get',
        args: [recordId],
      });
      return wrappedKey;
    } catch (error) {
      if (error instanceof LedgerError && error.code === 'REVERTED' && error.message.includes('no such record'))
        return undefined;
      throw error;
    }
  }
}

export type RecordActivities = ReturnType<typeof createRecordActivities>;
