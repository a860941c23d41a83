import { hexToBytes, toHex, type Hex } from 'viem';
import {
  CryptoError,
  decodeSignedRecord,
  initPre,
  open,
  preDecrypt,
  preDecryptReencrypted,
  verifySignedRecord,
  wipe,
} from '../core/crypto/index.js';
import { RecordRegistry } from '../contracts/artifacts.js';
import { readContract } from '../core/ledger/contract-calls.js';
import { lookupIdentity, standingAt, type DirectoryEntry } from '../core/ledger/directory.js';
import type { FiscoClient } from '../core/ledger/fisco-client.js';
import { parseCid, type ContentStore } from '../core/storage/index.js';
import type { ContractAddresses } from '../core/ledger/contract-addresses.js';
import { contentContext, recordIdOf, wrapContext } from '../core/records/record-format.js';
import { recordText } from '../core/hl7/charset-names.js';
import { Role } from '../core/roles.js';

export class RecordVerificationError extends Error {
  constructor(
    /** Which link of the chain did not hold. */
    readonly step: 'chain' | 'content' | 'unwrap' | 'decrypt' | 'author' | 'signature',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RecordVerificationError';
  }
}

/** How the reader recovers the DEK: the patient with the prekey's secret, a grantee with theirs. */
export type RecordKey =
  | { kind: 'patient'; prekeySecret: Uint8Array }
  | { kind: 'grantee'; delegateeSecret: Uint8Array; reencryptedKey: Uint8Array };

export interface RecordLocation {
  /** The id the inbox item names; checked against the content's signer once decrypted. */
  recordId: Hex;
  cid: string;
  /** Patient account and prekey index: the content's context. */
  patient: Uint8Array;
  prekeyIndex: number;
}

export interface OpenedRecord {
  recordId: Hex;
  /** The record as its author signed it: for HL7 v2, the bytes the hospital sent, in their charset. */
  bytes: Uint8Array;
  /** Its text, decoded by core/hl7/charset-names.ts `recordText` (MSH-18 for HL7 v2, else UTF-8). */
  record: string;
  /** Its author's Directory entry; `revokedAt` is set if the author was revoked after the record. */
  author: DirectoryEntry;
  /**
   * The organisation it is from, by the Directory: the author's hospital for a doctor, the author
   * itself for a hospital, null for a doctor registered without one. `revokedAt` is set if it was
   * revoked after the record.
   */
  organisation: DirectoryEntry | null;
  /** The block the record was created in. */
  createdAt: number;
}

/**
 * readRecord, wallet side: chain → content store → unwrap → decrypt → the record id against its
 * signer → the author against the Directory as of the record's block. It needs the reader's PRE
 * secret, which never reaches the engine, so it runs in the wallet (the `yilian record read` CLI)
 * rather than in a workflow. Every failure names the link that did not verify.
 */
export async function openRecord(
  deps: { chain: FiscoClient; contracts: ContractAddresses; store: Pick<ContentStore, 'get'> },
  location: RecordLocation,
  key: RecordKey,
): Promise<OpenedRecord> {
  await initPre();
  const id = location.recordId.toLowerCase() as Hex;
  const recordId = hexToBytes(id);
  if (recordId.length !== 32) throw new RecordVerificationError('chain', `record id ${id} is not 32 bytes`);
  const [wrapped, createdAtBlock] = await readContract(deps.chain, {
    address: deps.contracts.recordRegistry,
    abi: RecordRegistry.abi,
    functionName: 'get',
    args: [id],
  }).catch((cause: unknown) => {
    throw new RecordVerificationError(
      'chain',
      `record ${id} (CID ${location.cid}) is not on chain: ${(cause as Error).message}`,
      { cause },
    );
  });
  const createdAt = Number(createdAtBlock);
  const dek =
    key.kind === 'grantee'
      ? attempt('unwrap', `record ${id}: the re-encrypted key does not open with this grantee key`, () =>
          preDecryptReencrypted(key.delegateeSecret, key.reencryptedKey, wrapContext(recordId)),
        )
      : attempt(
          'unwrap',
          `record ${id}: the wrapped key on chain does not open with prekey ${location.prekeyIndex}`,
          () => preDecrypt(key.prekeySecret, hexToBytes(wrapped), wrapContext(recordId)),
        );
  let signedBytes: Uint8Array;
  try {
    const content = await deps.store.get(parseCid(location.cid)).catch((cause: unknown) => {
      throw new RecordVerificationError(
        'content',
        `record ${id}: content ${location.cid} could not be read: ${(cause as Error).message}`,
        { cause },
      );
    });
    signedBytes = attempt(
      'decrypt',
      `record ${id}: the content does not decrypt under the record key (wrong record, or content altered)`,
      () => open(dek, contentContext(location.patient, location.prekeyIndex), content),
    );
  } finally {
    wipe(dek);
  }
  const signed = attempt('decrypt', `record ${id}: decrypted content is not a signed record`, () =>
    decodeSignedRecord(signedBytes),
  );
  const signer = toHex(signed.author);
  // the chain derives the id from the creating sender, so this proves the signer created it
  if (toHex(recordIdOf(signed.author, location.cid)) !== id)
    throw new RecordVerificationError(
      'author',
      `record ${id} was not created on chain by ${signer}, who signed content ${location.cid}`,
    );
  const author = await lookupIdentity(deps.chain, deps.contracts.directory, signer);
  if (!author)
    throw new RecordVerificationError('author', `record ${id}: author ${signer} is not registered in the Directory`);
  if (!standingAt(author, createdAt))
    throw new RecordVerificationError(
      'author',
      `record ${id}: author ${author.address} (${author.name}) was revoked in block ${String(author.revokedAt)}, before the record was created in block ${createdAt}`,
    );
  const organisation = await organisationOf(deps, author);
  // a doctor stands only while their hospital does (Directory.activeRole)
  if (organisation && !standingAt(organisation, createdAt))
    throw new RecordVerificationError(
      'author',
      `record ${id}: author ${author.address} (${author.name}) belongs to ${organisation.address} (${organisation.name}), which was revoked in block ${String(organisation.revokedAt)}, before the record was created in block ${createdAt}`,
    );
  attempt('signature', `record ${id}: the signature does not verify against ${author.name}'s Directory key`, () =>
    verifySignedRecord(signed, author.publicKey),
  );
  return {
    recordId: id,
    bytes: signed.record,
    record: recordText(signed.record),
    author,
    organisation,
    createdAt,
  };
}

/** Who a record is from, as a reader is shown it: `Dr. Bob · Hospital A`, or the author alone. */
export function byline(opened: Pick<OpenedRecord, 'author' | 'organisation'>): string {
  const { author, organisation } = opened;
  return organisation && organisation.address !== author.address
    ? `${author.name} · ${organisation.name}`
    : author.name;
}

async function organisationOf(
  deps: { chain: FiscoClient; contracts: ContractAddresses },
  author: DirectoryEntry,
): Promise<DirectoryEntry | null> {
  if (author.role === Role.Hospital) return author;
  if (author.organisation === null) return null;
  const organisation = await lookupIdentity(deps.chain, deps.contracts.directory, author.organisation);
  // the Directory refuses an affiliation to an unregistered hospital, so only another Directory gets here
  if (!organisation)
    throw new RecordVerificationError(
      'author',
      `author ${author.address} (${author.name}) belongs to ${author.organisation}, which is not registered in the Directory`,
    );
  return organisation;
}

function attempt<T>(step: RecordVerificationError['step'], message: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof CryptoError)
      throw new RecordVerificationError(step, `${message}: ${cause.message}`, { cause });
    throw cause;
  }
}
