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
import { lookupIdentity, type DirectoryEntry } from '../core/ledger/directory.js';
import type { FiscoClient } from '../core/ledger/fisco-client.js';
import { parseCid, type ContentStore } from '../core/storage/index.js';
import type { ContractAddresses } from '../core/ledger/contract-addresses.js';
import { contentContext, recordIdOf, wrapContext } from '../core/records/record-format.js';

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
  cid: string;
  /** Patient account and prekey index: the content's context. */
  patient: Uint8Array;
  prekeyIndex: number;
}

export interface OpenedRecord {
  recordId: Hex;
  record: string;
  author: DirectoryEntry;
}

/**
 * readRecord, wallet side: chain → content store → unwrap → decrypt → verify the author against
 * the Directory. It needs the reader's PRE secret, which never reaches the engine, so it runs in
 * the wallet (the `yilian record read` CLI) rather than in a workflow. Every failure names the
 * link that did not verify.
 */
export async function openRecord(
  deps: { chain: FiscoClient; contracts: ContractAddresses; store: ContentStore },
  location: RecordLocation,
  key: RecordKey,
): Promise<OpenedRecord> {
  await initPre();
  const recordId = recordIdOf(location.cid);
  const id = toHex(recordId);
  const dek = await unwrap();
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
  const author = await lookupIdentity(deps.chain, deps.contracts.directory, toHex(signed.author));
  if (!author)
    throw new RecordVerificationError(
      'author',
      `record ${id}: author ${toHex(signed.author)} is not registered in the Directory`,
    );
  if (author.revoked)
    throw new RecordVerificationError(
      'author',
      `record ${id}: author ${author.address} (${author.name}) has been revoked`,
    );
  attempt('signature', `record ${id}: the signature does not verify against ${author.name}'s Directory key`, () =>
    verifySignedRecord(signed, author.publicKey),
  );
  return { recordId: id, record: new TextDecoder('utf-8', { fatal: true }).decode(signed.record), author };

  async function unwrap(): Promise<Uint8Array> {
    if (key.kind === 'grantee') {
      return attempt('unwrap', `record ${id}: the re-encrypted key does not open with this grantee key`, () =>
        preDecryptReencrypted(key.delegateeSecret, key.reencryptedKey, wrapContext(recordId)),
      );
    }
    const wrapped = await readContract(deps.chain, {
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
    return attempt(
      'unwrap',
      `record ${id}: the wrapped key on chain does not open with prekey ${location.prekeyIndex}`,
      () => preDecrypt(key.prekeySecret, hexToBytes(wrapped), wrapContext(recordId)),
    );
  }
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
