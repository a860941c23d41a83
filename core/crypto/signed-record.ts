import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { ByteReader, equalBytes } from './bytes.js';
import { CryptoError, expectLength } from './errors.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { ADDRESS_LENGTH, addressOf, identityFromSecret, PUBLIC_KEY_LENGTH, signDigest, SIGNATURE_LENGTH, verify } from './identity.js';

/**
 * The plaintext inside a record's content envelope: the canonical record, signed by its author.
 * The envelope's AEAD only proves the record came from someone holding the DEK (the patient, the
 * proxy's grantees); the signature proves which identity wrote it. Layout: docs/formats.md § Signed record.
 */
export const SIGNED_RECORD_LABEL = 'yilian/record/v1';
export const SIGNED_RECORD_VERSION = 0x01;
export const SIGNED_RECORD_OVERHEAD = 1 + ADDRESS_LENGTH + SIGNATURE_LENGTH;

const LABEL = utf8ToBytes(SIGNED_RECORD_LABEL);

export interface SignedRecord {
  /** 20-byte address the record claims as author; trust it only after verifySignedRecord. */
  author: Uint8Array;
  /** r‖s‖v over label ‖ record. */
  signature: Uint8Array;
  record: Uint8Array;
}

export function signRecord(authorSecretKey: Uint8Array, record: Uint8Array): Uint8Array {
  return signRecordWith(identityFromSecret(authorSecretKey), record, (digest, secretKey) => signDigest(secretKey, digest));
}

/**
 * As `signRecord` with the digest signature delegated (the engine passes native's `signDigest`,
 * byte-identical and about 40 times faster) and the author's address already known.
 */
export function signRecordWith(
  author: { address: Uint8Array; secretKey: Uint8Array },
  record: Uint8Array,
  signer: (digest: Uint8Array, secretKey: Uint8Array) => Uint8Array,
): Uint8Array {
  const signature = signer(keccak_256(concatBytes(LABEL, record)), author.secretKey);
  return concatBytes(Uint8Array.of(SIGNED_RECORD_VERSION), author.address, signature, record);
}

/** Parses the layout only; call verifySignedRecord before trusting it. */
export function decodeSignedRecord(bytes: Uint8Array): SignedRecord {
  if (!(bytes instanceof Uint8Array)) throw new CryptoError('BAD_FORMAT', 'signed record must be a Uint8Array');
  if (bytes.length < SIGNED_RECORD_OVERHEAD) {
    throw new CryptoError('BAD_FORMAT', `signed record: ${bytes.length} bytes is shorter than the ${SIGNED_RECORD_OVERHEAD}-byte header`);
  }
  const r = new ByteReader(bytes, 'signed record');
  const version = r.u8('version');
  if (version !== SIGNED_RECORD_VERSION) {
    throw new CryptoError('BAD_FORMAT', `signed record: unsupported version 0x${version.toString(16)} (expected 0x01)`);
  }
  return { author: r.take(ADDRESS_LENGTH, 'author'), signature: r.take(SIGNATURE_LENGTH, 'signature'), record: r.rest() };
}

/** `authorPublicKey` is the key the caller trusts (from the Directory), not anything inside the record. */
export function verifySignedRecord(signed: SignedRecord, authorPublicKey: Uint8Array): void {
  expectLength(authorPublicKey, PUBLIC_KEY_LENGTH, 'record author public key');
  const author = `0x${bytesToHex(signed.author)}`;
  const keyAddress = addressOf(authorPublicKey);
  if (!equalBytes(keyAddress, signed.author)) {
    throw new CryptoError('BAD_SIGNATURE', `record claims author ${author}, but the given key belongs to 0x${bytesToHex(keyAddress)}`);
  }
  if (!verify(signed.signature, concatBytes(LABEL, signed.record), authorPublicKey)) {
    throw new CryptoError('BAD_SIGNATURE', `record is not signed by its author ${author}`);
  }
}
