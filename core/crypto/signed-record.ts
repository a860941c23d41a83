import { identityFromSecret, signDigest } from './identity.js';
import { decodeSigned, encodeSigned, verifySigned, type SignedKind } from './signed-container.js';

/**
 * The plaintext inside a record's content envelope: the canonical record, signed by its author.
 * The envelope's AEAD only proves the record came from someone holding the DEK (the patient, the
 * proxy's grantees); the signature proves which identity wrote it. Layout: docs/formats.md
 * § Signed record (the signed container of ./signed-container.ts, bound to nothing further).
 */
export const SIGNED_RECORD_LABEL = 'yilian/record/v1';

const RECORD: SignedKind = {
  label: SIGNED_RECORD_LABEL,
  container: 'signed record',
  content: 'record',
  signerWord: 'author',
};
const UNBOUND = new Uint8Array(0);

export interface SignedRecord {
  /** 20-byte address the record claims as author; trust it only after verifySignedRecord. */
  author: Uint8Array;
  /** r‖s‖v over label ‖ record. */
  signature: Uint8Array;
  record: Uint8Array;
}

export function signRecord(authorSecretKey: Uint8Array, record: Uint8Array): Uint8Array {
  return signRecordAs(identityFromSecret(authorSecretKey), record, (digest, secretKey) =>
    signDigest(secretKey, digest),
  );
}

/**
 * As `signRecord` for an author whose address is already known, with the digest signature
 * delegated (the engine passes native's `signDigest`, byte-identical and about 40 times faster).
 */
export function signRecordAs(
  author: { address: Uint8Array; secretKey: Uint8Array },
  record: Uint8Array,
  signDigestWith: (digest: Uint8Array, secretKey: Uint8Array) => Uint8Array,
): Uint8Array {
  return encodeSigned(RECORD, author, UNBOUND, record, signDigestWith);
}

/** Parses the layout only; call verifySignedRecord before trusting it. */
export function decodeSignedRecord(bytes: Uint8Array): SignedRecord {
  const { signer, signature, data } = decodeSigned(RECORD, bytes);
  return { author: signer, signature, record: data };
}

/** `authorPublicKey` is the key the caller trusts (from the Directory), not anything inside the record. */
export function verifySignedRecord(signed: SignedRecord, authorPublicKey: Uint8Array): void {
  verifySigned(
    RECORD,
    { signer: signed.author, signature: signed.signature, data: signed.record },
    UNBOUND,
    authorPublicKey,
  );
}
