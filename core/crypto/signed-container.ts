import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { ByteReader, equalBytes } from './bytes.js';
import { CryptoError, expectLength } from './errors.js';
import { ADDRESS_LENGTH, addressOf, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH, verify } from './identity.js';

/**
 * The signed container of records and trace steps (docs/formats.md § Signed record, § Trace steps):
 *
 *   u8 version 0x01 ‖ signer address (20) ‖ signature (65, r‖s‖v) ‖ data
 *   signature = Sign(keccak256(label ‖ bound ‖ data))
 *
 * The label separates the kinds; `bound` ties a signature to where the container lives (nothing
 * for a record, whose envelope already names it; the trace id for a trace step), so a signed step
 * cannot be replayed under another package. The address lets a reader find the signer's key in
 * the Directory; it is only a claim until `verifySigned` checks it against that key.
 */
export const SIGNED_CONTAINER_VERSION = 0x01;
export const SIGNED_CONTAINER_OVERHEAD = 1 + ADDRESS_LENGTH + SIGNATURE_LENGTH;

export interface SignedKind {
  /** Domain-separation label, signed first. */
  readonly label: string;
  /** How errors name the container (`signed record`) and, once opened, its content (`record`). */
  readonly container: string;
  readonly content: string;
  /** What the signer is called (`author`, `signer`). */
  readonly signerWord: string;
}

export interface SignedContainer {
  /** 20-byte address the container claims as its signer; trust it only after verifySigned. */
  signer: Uint8Array;
  signature: Uint8Array;
  data: Uint8Array;
}

/** Signs with a delegated digest signer (the engine passes native's `signDigest`, byte-identical). */
export function encodeSigned(
  kind: SignedKind,
  signer: { address: Uint8Array; secretKey: Uint8Array },
  bound: Uint8Array,
  data: Uint8Array,
  signDigest: (digest: Uint8Array, secretKey: Uint8Array) => Uint8Array,
): Uint8Array {
  const signature = signDigest(keccak_256(signedMessage(kind, bound, data)), signer.secretKey);
  return concatBytes(Uint8Array.of(SIGNED_CONTAINER_VERSION), signer.address, signature, data);
}

/** Parses the layout only; call verifySigned before trusting it. */
export function decodeSigned(kind: SignedKind, bytes: Uint8Array): SignedContainer {
  if (!(bytes instanceof Uint8Array)) throw new CryptoError('BAD_FORMAT', `${kind.container} must be a Uint8Array`);
  if (bytes.length < SIGNED_CONTAINER_OVERHEAD) {
    throw new CryptoError(
      'BAD_FORMAT',
      `${kind.container}: ${bytes.length} bytes is shorter than the ${SIGNED_CONTAINER_OVERHEAD}-byte header`,
    );
  }
  const r = new ByteReader(bytes, kind.container);
  r.version(SIGNED_CONTAINER_VERSION);
  return {
    signer: r.take(ADDRESS_LENGTH, kind.signerWord),
    signature: r.take(SIGNATURE_LENGTH, 'signature'),
    data: r.rest(),
  };
}

/** `signerPublicKey` is the key the caller trusts (from the Directory), not anything inside the container. */
export function verifySigned(
  kind: SignedKind,
  signed: SignedContainer,
  bound: Uint8Array,
  signerPublicKey: Uint8Array,
  boundTo = '',
): void {
  expectLength(signerPublicKey, PUBLIC_KEY_LENGTH, `${kind.content} ${kind.signerWord} public key`);
  const claimed = `0x${bytesToHex(signed.signer)}`;
  const keyAddress = addressOf(signerPublicKey);
  if (!equalBytes(keyAddress, signed.signer)) {
    throw new CryptoError(
      'BAD_SIGNATURE',
      `${kind.content} claims ${kind.signerWord} ${claimed}, but the given key belongs to 0x${bytesToHex(keyAddress)}`,
    );
  }
  if (!verify(signed.signature, signedMessage(kind, bound, signed.data), signerPublicKey)) {
    throw new CryptoError(
      'BAD_SIGNATURE',
      `${kind.content} is not signed by its ${kind.signerWord} ${claimed}${boundTo}`,
    );
  }
}

function signedMessage(kind: SignedKind, bound: Uint8Array, data: Uint8Array): Uint8Array {
  return concatBytes(utf8ToBytes(kind.label), bound, data);
}
