import { Context } from '@temporalio/activity';
import { hexToBytes, toHex, type Hex } from 'viem';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { decodePrekeyBundle, verifyPrekeyBundle } from '../../core/keys/index.js';
import { initPre, PRE_CIPHERTEXT_LENGTH, sealTo } from '../../core/crypto/index.js';
import { RecordRegistry } from '../../contracts/artifacts.js';
import { readContract, writeContract } from '../../core/ledger/contract-calls.js';
import { DirectoryError, requireIdentity, type DirectoryEntry } from '../../core/ledger/directory.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { badInput } from '../failures.js';
import { activityGroup } from '../activity-group.js';
import type { Engine } from '../engine.js';
import { INBOX_CONTEXT, inboxMessageSchema, type InboxMessage } from '../../core/records/record-format.js';

/** Role numbers in the Directory (ops/chain/deployment.ts keeps the canonical list). */
const PATIENT_ROLE = 4;
/** Who may receive a grant: doctors, pharmacies and research institutes. */
const GRANTEE_ROLES = new Set([3, 5, 6]);

export interface PatientIdentifier {
  /** Assigning authority, e.g. PID-3 CX.4 or a FHIR identifier's system. */
  authority: string;
  identifier: string;
}

export interface ClaimedPrekey {
  index: number;
  publicKey: Hex;
}

/** Record-side activities of the `yilian` queue: enrolment, prekeys, chain writes and inboxes. */
export function createRecordActivities(engine: Engine) {
  const { chain, contracts, state } = engine;
  const recipientKeys = new RecentDirectoryEntries(engine);
  return activityGroup({
    /**
     * The patient's account and a prekey this workflow holds for them, or null after noting that
     * the workflow waits for the patient to enrol. One step, because both are local look-ups.
     */
    async findPatientPrekey(patient: PatientIdentifier, workflowId: string): Promise<{ patient: string; prekey: ClaimedPrekey } | null> {
      const account = await state.findPatientOrWait(state.patientRef(patient.authority, patient.identifier), workflowId);
      if (account === undefined) return null;
      const prekey = await state.claimPrekey(account, workflowId);
      return { patient: account, prekey: { index: prekey.index, publicKey: toHex(prekey.publicKey) } };
    },

    /** Maps the hospital's identifier to a registered patient; returns the workflows waiting for them. */
    async enrolPatient(patient: PatientIdentifier, account: string): Promise<string[]> {
      const entry = await requireIdentity(chain, contracts.directory, account, 'patient');
      if (entry.role !== PATIENT_ROLE) throw new DirectoryError('WRONG_ROLE', `${account} (${entry.name}) is registered with role ${entry.role}, not as a patient`);
      return state.enrol(state.patientRef(patient.authority, patient.identifier), entry.address);
    },

    /** Verifies a wallet's signed prekey batch against the owner's Directory entry and adds it to the pool. */
    async publishPrekeys(owner: string, bundle: Hex): Promise<number> {
      await initPre();
      const entry = await requireIdentity(chain, contracts.directory, owner, 'prekey owner');
      const decoded = decodePrekeyBundle(hexToBytes(bundle));
      verifyPrekeyBundle(decoded, hexToBytes(entry.address as Hex));
      await state.addPrekeys(entry.address, decoded.prekeys);
      return state.unclaimedPrekeys(entry.address);
    },

    /** The public half of a patient's prekey, to check a grant's re-encryption key against. */
    async prekeyPublicKey(patient: string, index: number): Promise<Hex> {
      const key = await state.prekeyPublicKey(patient.toLowerCase(), index);
      if (!key) throw badInput('UnknownPrekey', `prekey ${index} of ${patient} was never published to this engine`);
      return toHex(key);
    },

    /**
     * `RecordRegistry.create`, idempotently: when the id already holds this very wrapped key (an
     * earlier attempt committed), that counts as done; another value under the id is a conflict.
     */
    async createRecordOnChain(sender: string, recordId: Hex, wrappedKey: Hex): Promise<{ transactionHash: Hex | null }> {
      if (hexToBytes(wrappedKey).length !== PRE_CIPHERTEXT_LENGTH) throw badInput('BadWrappedKey', `wrapped key must be ${PRE_CIPHERTEXT_LENGTH} bytes`);
      // the id comes from a fresh CID, so only an earlier attempt of this very activity can have
      // written it: look first on a retry, and skip the read on the first attempt
      if (Context.current().info.attempt > 1) {
        const existing = await storedWrappedKey(recordId);
        if (existing !== undefined) return alreadyThere(existing);
      }
      const author = await engine.keyring.identity(sender);
      try {
        const receipt = await writeContract(chain, author.secretKey, { address: contracts.recordRegistry, abi: RecordRegistry.abi, functionName: 'create', args: [recordId, wrappedKey] });
        return { transactionHash: receipt.transactionHash as Hex };
      } catch (error) {
        if (!(error instanceof LedgerError && error.code === 'REVERTED' && error.message.includes('record exists'))) throw error;
        return alreadyThere((await storedWrappedKey(recordId)) as Hex);
      }

      function alreadyThere(value: Hex) {
        if (value.toLowerCase() !== wrappedKey.toLowerCase()) throw badInput('RecordConflict', `record ${recordId} already exists on chain with another wrapped key`);
        return { transactionHash: null };
      }
    },

    /** Seals the message to the recipient's Directory key and files it once under `deliveryId`. */
    async deliverToInbox(recipient: string, deliveryId: string, message: InboxMessage): Promise<void> {
      const parsed = inboxMessageSchema.parse(message);
      const entry = await recipientKeys.get(recipient);
      const sealed = sealTo(entry.publicKey, utf8ToBytes(JSON.stringify(parsed)), INBOX_CONTEXT);
      await state.deliver(entry.address, deliveryId, sealed);
    },

    /** A grantee must be a registered, unrevoked doctor, pharmacy or research institute. */
    async validateGrantee(grantee: string): Promise<{ name: string; role: number }> {
      const entry = await requireIdentity(chain, contracts.directory, grantee, 'grantee');
      if (!GRANTEE_ROLES.has(entry.role)) throw new DirectoryError('WRONG_ROLE', `${grantee} (${entry.name}) has role ${entry.role}; only doctors, pharmacies and research institutes receive grants`);
      return { name: entry.name, role: entry.role };
    },

    /** The chain's read-only re-encryption: no transaction, so nothing on chain names the grantee. */
    async reencryptForGrantee(recordId: Hex, rk: Hex): Promise<Hex> {
      return readContract(chain, { address: contracts.recordRegistry, abi: RecordRegistry.abi, functionName: 'reencrypt', args: [recordId, rk] });
    },
  });

  async function storedWrappedKey(recordId: Hex): Promise<Hex | undefined> {
    try {
      return await readContract(chain, { address: contracts.recordRegistry, abi: RecordRegistry.abi, functionName: 'get', args: [recordId] });
    } catch (error) {
      if (error instanceof LedgerError && error.code === 'REVERTED' && error.message.includes('no such record')) return undefined;
      throw error;
    }
  }
}

export type RecordActivities = ReturnType<typeof createRecordActivities>;

/**
 * Directory entries of inbox recipients, kept for a minute: every record and grant seals to one,
 * and a key registered in the Directory never changes (a revocation noticed a minute late only
 * means one more item sealed to its rightful owner).
 */
class RecentDirectoryEntries {
  private readonly entries = new Map<string, { entry: DirectoryEntry; at: number }>();
  private static readonly TTL_MS = 60_000;

  constructor(private readonly engine: Engine) {}

  async get(address: string): Promise<DirectoryEntry> {
    const key = address.toLowerCase();
    const cached = this.entries.get(key);
    if (cached && Date.now() - cached.at < RecentDirectoryEntries.TTL_MS) return cached.entry;
    const entry = await requireIdentity(this.engine.chain, this.engine.contracts.directory, key, 'inbox recipient');
    this.entries.set(key, { entry, at: Date.now() });
    return entry;
  }
}
