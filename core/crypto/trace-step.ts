import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { AES_KEY_LENGTH } from './aead.js';
import { wipe } from './bytes.js';
import { open, seal, sealWithNonce, type RecordContext } from './envelope.js';
import { CryptoError, expectLength } from './errors.js';
import { identityFromSecret, signDigest } from './identity.js';
import { decodeSigned, encodeSigned, verifySigned, type SignedKind } from './signed-container.js';

/**
 * One step of a drug's trace, encrypted so that anyone holding the package's trace code can read
 * it while the chain (which sees only the public trace id) cannot. The key comes from the code
 * under its own label, never from the id, which is public. Every step of one trace shares that
 * key, so steps use random nonces. Inside the envelope is the signed container of
 * ./signed-container.ts bound to the trace id. Layout: docs/formats.md § Trace steps.
 */
export const TRACE_STEP_LABEL = 'yilian/trace-step/v1';
export const TRACE_ID_LENGTH = 32;
export const TRACE_CODE_SYMBOLS = 32;

const LABEL = utf8ToBytes(TRACE_STEP_LABEL);
const STEP: SignedKind = {
  label: TRACE_STEP_LABEL,
  container: 'trace step',
  content: 'trace step',
  signerWord: 'signer',
};
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

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
  for (let i = TRACE_CODE_SYMBOLS - 1; i >= 0; i--) code += ALPHABET.charAt(Number((bits >> BigInt(5 * i)) & 31n));
  return code;
}

/** The form printed on a package (docs/formats.md § Trace code): four groups of eight joined by `-`. */
export function printedTraceCode(code: string): string {
  const symbols = normalizeTraceCode(code);
  return [0, 8, 16, 24].map((start) => symbols.slice(start, start + 8)).join('-');
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

export function sealTraceStep(code: string, id: Uint8Array, signerSecretKey: Uint8Array, data: Uint8Array): Uint8Array {
  return sealTraceStepAs(identityFromSecret(signerSecretKey), code, id, data, (digest, secretKey) =>
    signDigest(secretKey, digest),
  );
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
  return sealStep(code, id, encodeSigned(STEP, signer, id, data, signDigestWith), (key, plaintext) =>
    seal(key, stepContext(id), plaintext),
  );
}

/** Deterministic form for test vectors only: all steps of a trace share one key, so a repeated nonce breaks GCM. */
export function sealTraceStepDeterministic(
  code: string,
  id: Uint8Array,
  signerSecretKey: Uint8Array,
  data: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  const signed = encodeSigned(STEP, identityFromSecret(signerSecretKey), id, data, (digest, secretKey) =>
    signDigest(secretKey, digest),
  );
  return sealStep(code, id, signed, (key, plaintext) => sealWithNonce(key, stepContext(id), plaintext, nonce));
}

function sealStep(
  code: string,
  id: Uint8Array,
  signed: Uint8Array,
  sealWith: (key: Uint8Array, plaintext: Uint8Array) => Uint8Array,
): Uint8Array {
  const key = traceStepKey(code, id);
  try {
    return sealWith(key, signed);
  } finally {
    wipe(key, signed);
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
  return decodeSigned(STEP, plaintext);
}

/** `signerPublicKey` is the key the caller trusts (from the Directory), not anything inside the step. */
export function verifyTraceStep(step: TraceStep, id: Uint8Array, signerPublicKey: Uint8Array): void {
  expectLength(id, TRACE_ID_LENGTH, 'trace id');
  verifySigned(STEP, step, id, signerPublicKey, ' for this trace id');
}
