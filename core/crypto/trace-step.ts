import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { AES_KEY_LENGTH } from './aead.js';
import { ByteReader, equalBytes, wipe } from './bytes.js';
import { open, seal, sealWithNonce, type RecordContext } from './envelope.js';
import { CryptoError, expectLength } from './errors.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { ADDRESS_LENGTH, addressOf, identityFromSecret, PUBLIC_KEY_LENGTH, signDigest, SIGNATURE_LENGTH, verify } from './identity.js';

/**
 * One step of a drug's trace, encrypted so that anyone holding the package's trace code can read
 * it while the chain (which sees only the public trace id) cannot. The key comes from the code
 * under its own label, never from the id, which is public. Every step of one trace shares that
 * key, so steps use random nonces. Layout: docs/formats.md § Trace steps.
 */
export const TRACE_STEP_LABEL = 'yilian/trace-step/v1';
export const TRACE_STEP_VERSION = 0x01;
export const TRACE_ID_LENGTH = 32;
export const TRACE_CODE_SYMBOLS = 32;

const LABEL = utf8ToBytes(TRACE_STEP_LABEL);
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const HEADER_LENGTH = 1 + ADDRESS_LENGTH + SIGNATURE_LENGTH;

export interface TraceStep {
  /** 20-byte address the step claims as signer; trust it only after verifyTraceStep. */
  signer: Uint8Array;
  /** r‖s‖v over label ‖ id ‖ data. */
  signature: Uint8Array;
  data: Uint8Array;
}

/**
 * Canonical printed form: 32 upper-case symbols, no separators. Stricter than native's
 * `TraceCode::parse`, which reads O as 0 and I, L as 1: codes are printed without those letters,
 * so one is a misreading the user should correct, not something to guess at. Messages name the
 * position only: the code is a secret and must not reach logs.
 */
export function normalizeTraceCode(code: string): string {
  if (typeof code !== 'string') throw new CryptoError('BAD_FORMAT', 'trace code must be a string');
  let out = '';
  let position = 0;
  for (const ch of code) {
    if (ch === '-' || /^\s$/u.test(ch)) continue;
    position++;
    // ASCII-only upper-casing: String#toUpperCase maps e.g. 'ı' to 'I' and 'ſ' to 'S'.
    const upper = ch >= 'a' && ch <= 'z' ? String.fromCharCode(ch.charCodeAt(0) - 32) : ch;
    if (!ALPHABET.includes(upper)) {
      throw new CryptoError(
        'BAD_FORMAT',
        `trace code: symbol ${position} is not Crockford base32 (0-9 and A-Z without I, L, O, U)`,
      );
    }
    out += upper;
  }
  if (out.length !== TRACE_CODE_SYMBOLS) {
    throw new CryptoError('BAD_FORMAT', `trace code must have ${TRACE_CODE_SYMBOLS} symbols, got ${out.length}`);
  }
  return out;
}

/** A fresh code for a new package: 160 random bits as 32 symbols, 5 bits each, most significant first. */
export function generateTraceCode(): string {
  const bytes = randomBytes(20);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  wipe(bytes);
  let code = '';
  for (let i = TRACE_CODE_SYMBOLS - 1; i >= 0; i--) code += ALPHABET[Number((bits >> BigInt(5 * i)) & 31n)];
  return code;
}

export function traceStepKey(code: string, id: Uint8Array): Uint8Array {
  expectLength(id, TRACE_ID_LENGTH, 'trace id');
  const ikm = utf8ToBytes(normalizeTraceCode(code));
  try {
    return hkdf(sha256, ikm, LABEL, id, AES_KEY_LENGTH);
  } finally {
    wipe(ikm);
  }
}

function stepContext(id: Uint8Array): RecordContext {
  return { recordId: id, version: 1 };
}

function stepMessage(id: Uint8Array, data: Uint8Array): Uint8Array {
  return concatBytes(LABEL, id, data);
}

export function sealTraceStep(code: string, id: Uint8Array, signerSecretKey: Uint8Array, data: Uint8Array): Uint8Array {
  return sealTraceStepAs(identityFromSecret(signerSecretKey), code, id, data, (digest, secretKey) => signDigest(secretKey, digest));
}

/**
 * As `sealTraceStep` for a signer whose address is already known, with the digest signature
 * delegated: the engine seals whole production batches and passes native's `signDigest`
 * (byte-identical, about 40 times faster than the TypeScript signer).
 */
export function sealTraceStepAs(
  signer: { address: Uint8Array; secretKey: Uint8Array },
  code: string,
  id: Uint8Array,
  data: Uint8Array,
  signDigestWith: (digest: Uint8Array, secretKey: Uint8Array) => Uint8Array,
): Uint8Array {
  return sealStep(code, id, signer, data, signDigestWith, (key, plaintext) => seal(key, stepContext(id), plaintext));
}

/** Deterministic form for test vectors only: all steps of a trace share one key, so a repeated nonce breaks GCM. */
export function sealTraceStepWith(
  code: string,
  id: Uint8Array,
  signerSecretKey: Uint8Array,
  data: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  const signer = identityFromSecret(signerSecretKey);
  return sealStep(code, id, signer, data, (digest, secretKey) => signDigest(secretKey, digest), (key, plaintext) => sealWithNonce(key, stepContext(id), plaintext, nonce));
}

function sealStep(
  code: string,
  id: Uint8Array,
  signer: { address: Uint8Array; secretKey: Uint8Array },
  data: Uint8Array,
  signDigestWith: (digest: Uint8Array, secretKey: Uint8Array) => Uint8Array,
  sealWith: (key: Uint8Array, plaintext: Uint8Array) => Uint8Array,
): Uint8Array {
  const key = traceStepKey(code, id);
  const signature = signDigestWith(keccak_256(stepMessage(id, data)), signer.secretKey);
  const plaintext = concatBytes(Uint8Array.of(TRACE_STEP_VERSION), signer.address, signature, data);
  try {
    return sealWith(key, plaintext);
  } finally {
    wipe(key, plaintext);
  }
}

/** Decrypts and parses; the signer is only claimed until verifyTraceStep. */
export function openTraceStep(code: string, id: Uint8Array, c: Uint8Array): TraceStep {
  const key = traceStepKey(code, id);
  let plaintext: Uint8Array;
  try {
    plaintext = open(key, stepContext(id), c);
  } finally {
    wipe(key);
  }
  if (plaintext.length < HEADER_LENGTH) {
    throw new CryptoError('BAD_FORMAT', `trace step: ${plaintext.length} bytes is shorter than the ${HEADER_LENGTH}-byte header`);
  }
  const r = new ByteReader(plaintext, 'trace step');
  const version = r.u8('version');
  if (version !== TRACE_STEP_VERSION) {
    throw new CryptoError('BAD_FORMAT', `trace step: unsupported version 0x${version.toString(16)} (expected 0x01)`);
  }
  return { signer: r.take(ADDRESS_LENGTH, 'signer'), signature: r.take(SIGNATURE_LENGTH, 'signature'), data: r.rest() };
}

/** `signerPublicKey` is the key the caller trusts (from the Directory), not anything inside the step. */
export function verifyTraceStep(step: TraceStep, id: Uint8Array, signerPublicKey: Uint8Array): void {
  expectLength(id, TRACE_ID_LENGTH, 'trace id');
  expectLength(signerPublicKey, PUBLIC_KEY_LENGTH, 'trace step signer public key');
  const signer = `0x${bytesToHex(step.signer)}`;
  const keyAddress = addressOf(signerPublicKey);
  if (!equalBytes(keyAddress, step.signer)) {
    throw new CryptoError('BAD_SIGNATURE', `trace step claims signer ${signer}, but the given key belongs to 0x${bytesToHex(keyAddress)}`);
  }
  if (!verify(step.signature, stepMessage(id, step.data), signerPublicKey)) {
    throw new CryptoError('BAD_SIGNATURE', `trace step is not signed by its signer ${signer} for this trace id`);
  }
}
