import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { aesGcmOpen, aesGcmSeal, AES_KEY_LENGTH, NONCE_LENGTH, TAG_LENGTH } from './aead.js';
import { ByteReader, u16be, u32be, wipe } from './bytes.js';
import { CryptoError, expectLength } from './errors.js';

/**
 * Envelope = AES-256-GCM under a key derived from a data-encryption key (DEK) and the record
 * context. Deriving per context means a DEK can never open an envelope moved to another record or
 * version, even if a caller reuses a DEK by mistake. Layout: docs/formats.md § Envelope.
 */
export const ENVELOPE_VERSION = 0x01;
export const ENVELOPE_LABEL = 'yilian/envelope/v1';
export const DEK_LENGTH = 32;
export const ENVELOPE_OVERHEAD = 1 + NONCE_LENGTH + TAG_LENGTH;

export interface RecordContext {
  /** Record identifier bytes (e.g. the 32-byte H(CID)); 1..65535 bytes. */
  readonly recordId: Uint8Array;
  /** Record version, u32. */
  readonly version: number;
}

const LABEL = utf8ToBytes(ENVELOPE_LABEL);

/** label ‖ u32 version ‖ u16 len(recordId) ‖ recordId — used as HKDF info and (after the header) as GCM AD. */
export function encodeContext(context: RecordContext): Uint8Array {
  const { recordId, version } = context;
  if (!(recordId instanceof Uint8Array) || recordId.length === 0 || recordId.length > 0xffff) {
    throw new CryptoError('BAD_FORMAT', 'record id must be 1..65535 bytes');
  }
  return concatBytes(LABEL, u32be(version), u16be(recordId.length), recordId);
}

export function generateDek(): Uint8Array {
  return randomBytes(DEK_LENGTH);
}

function deriveKey(dek: Uint8Array, contextBytes: Uint8Array): Uint8Array {
  expectLength(dek, DEK_LENGTH, 'data-encryption key');
  return hkdf(sha256, dek, LABEL, contextBytes, AES_KEY_LENGTH);
}

/** Seals under a fresh random 96-bit nonce. */
export function seal(dek: Uint8Array, context: RecordContext, plaintext: Uint8Array): Uint8Array {
  return sealWithNonce(dek, context, plaintext, randomBytes(NONCE_LENGTH));
}

/**
 * Deterministic form for test vectors and for callers whose key is single-use (the PRE KEM key).
 * A nonce repeated under one key breaks GCM, so everything else uses `seal`.
 */
export function sealWithNonce(
  dek: Uint8Array,
  context: RecordContext,
  plaintext: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  const ctx = encodeContext(context);
  const key = deriveKey(dek, ctx);
  const header = Uint8Array.of(ENVELOPE_VERSION);
  try {
    const sealed = aesGcmSeal(key, nonce, plaintext, concatBytes(header, ctx));
    return concatBytes(header, nonce, sealed);
  } finally {
    wipe(key);
  }
}

export function open(dek: Uint8Array, context: RecordContext, envelope: Uint8Array): Uint8Array {
  if (envelope.length < ENVELOPE_OVERHEAD) {
    throw new CryptoError(
      'BAD_FORMAT',
      `envelope: ${envelope.length} bytes is shorter than the ${ENVELOPE_OVERHEAD}-byte minimum`,
    );
  }
  const r = new ByteReader(envelope, 'envelope');
  const version = r.version(ENVELOPE_VERSION);
  const nonce = r.take(NONCE_LENGTH, 'nonce');
  const sealed = r.rest();
  const ctx = encodeContext(context);
  const key = deriveKey(dek, ctx);
  try {
    return aesGcmOpen(key, nonce, sealed, concatBytes(Uint8Array.of(version), ctx), 'envelope');
  } finally {
    wipe(key);
  }
}
