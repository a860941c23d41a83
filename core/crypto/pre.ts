import * as mcl from 'mcl-wasm';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { NONCE_LENGTH } from './aead.js';
import { ByteReader, wipe } from './bytes.js';
import { getCurve } from './bls.js';
import { decodeG1, decodeG2, decodeGT, decodeScalar, G1_LENGTH, GT_LENGTH, randomScalar } from './bls-codec.js';
import { DEK_LENGTH, ENVELOPE_OVERHEAD, open, sealWithNonce, type RecordContext } from './envelope.js';
import { CryptoError, expectLength } from './errors.js';

/**
 * AFGH (Ateniese–Fu–Green–Hohenberger 2006) proxy re-encryption as a KEM/DEM on BLS12-381:
 *   delegator a, PK_a = g^a ∈ G1;  delegatee b, PK_b = h^b ∈ G2;  Z = e(g, h)
 *   encrypt:     r ← Fr*, C1 = PK_a^r, K = HKDF(ser(Z^r), info = C1), E = seal(K, ctx, dek)
 *   re-key:      rk = PK_b^(1/a)
 *   re-encrypt:  R = e(C1, rk) = Z^(rb), E unchanged
 *   decrypt:     delegator Z^r = e(C1^(1/a), h);  delegatee Z^r = R^(1/b)
 * The scheme is CPA-secure and malleable at the KEM level; integrity comes from the AEAD (E binds
 * K, which binds Z^r and C1) and authenticity from the record signature. Layouts: docs/formats.md.
 */
export const PRE_CIPHERTEXT_VERSION = 0x01;
export const PRE_REENCRYPTED_VERSION = 0x02;
export const KEM_SALT = 'yilian/afgh-kem/v1';
export const WRAPPED_DEK_LENGTH = DEK_LENGTH + ENVELOPE_OVERHEAD;
export const PRE_CIPHERTEXT_LENGTH = 1 + G1_LENGTH + WRAPPED_DEK_LENGTH;
export const PRE_REENCRYPTED_LENGTH = 1 + G1_LENGTH + GT_LENGTH + WRAPPED_DEK_LENGTH;

export interface PreKeyPair {
  /** 32-byte big-endian scalar. */
  readonly secretKey: Uint8Array;
  /** Delegator: G1 (48 bytes); delegatee: G2 (96 bytes). */
  readonly publicKey: Uint8Array;
}

const KEM_SALT_BYTES = utf8ToBytes(KEM_SALT);

/** K = HKDF-SHA256(ikm = ser(Z^r), salt = KEM_SALT, info = ser(C1), 32). */
export function kemKey(zr: mcl.GT, c1: Uint8Array): Uint8Array {
  const ikm = zr.serialize();
  try {
    return hkdf(sha256, ikm, KEM_SALT_BYTES, c1, DEK_LENGTH);
  } finally {
    wipe(ikm);
  }
}

function withScalar<T>(bytes: Uint8Array, what: string, f: (s: mcl.Fr) => T): T {
  const s = decodeScalar(bytes, what);
  try {
    return f(s);
  } finally {
    s.clear();
  }
}

function keyPair(publicOf: (s: mcl.Fr) => Uint8Array): PreKeyPair {
  const s = randomScalar();
  try {
    return { secretKey: s.serialize(), publicKey: publicOf(s) };
  } finally {
    s.clear();
  }
}

const g1Of = (s: mcl.Fr): Uint8Array => mcl.mul(getCurve().g, s).serialize();
const g2Of = (s: mcl.Fr): Uint8Array => mcl.mul(getCurve().h, s).serialize();

export function preKeygenDelegator(): PreKeyPair {
  return keyPair(g1Of);
}

export function preKeygenDelegatee(): PreKeyPair {
  return keyPair(g2Of);
}

export function preDelegatorPublicKey(a: Uint8Array): Uint8Array {
  return withScalar(a, 'delegator secret key', g1Of);
}

export function preDelegateePublicKey(b: Uint8Array): Uint8Array {
  return withScalar(b, 'delegatee secret key', g2Of);
}

/** Wraps `dek` (32 bytes) for the holder of PK_a, bound to `context`; fresh r and nonce per call. */
export function preEncrypt(pkA: Uint8Array, dek: Uint8Array, context: RecordContext): Uint8Array {
  const r = randomScalar();
  const rBytes = r.serialize();
  r.clear();
  try {
    return preEncryptDeterministic(pkA, dek, context, rBytes, randomBytes(NONCE_LENGTH));
  } finally {
    wipe(rBytes);
  }
}

/**
 * Deterministic encryption for test vectors (docs/vectors/pre.json). Reusing `r` links ciphertexts
 * and reveals K to anyone who knows one of them, so production code calls `preEncrypt`.
 */
export function preEncryptDeterministic(
  pkA: Uint8Array,
  dek: Uint8Array,
  context: RecordContext,
  r: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  expectLength(dek, DEK_LENGTH, 'data-encryption key');
  const pk = decodeG1(pkA, 'delegator public key');
  const rs = decodeScalar(r, 'encryption randomness r');
  const zr = mcl.pow(getCurve().z, rs);
  const c1 = mcl.mul(pk, rs).serialize();
  rs.clear();
  const key = kemKey(zr, c1);
  zr.clear();
  try {
    return concatBytes(Uint8Array.of(PRE_CIPHERTEXT_VERSION), c1, sealWithNonce(key, context, dek, nonce));
  } finally {
    wipe(key);
  }
}

export function preRekey(a: Uint8Array, pkB: Uint8Array): Uint8Array {
  const pk = decodeG2(pkB, 'delegatee public key');
  return withScalar(a, 'delegator secret key', (s) => {
    const inv = mcl.inv(s);
    try {
      return mcl.mul(pk, inv).serialize();
    } finally {
      inv.clear();
    }
  });
}

/** Public check that rk re-keys PK_a to PK_b: e(PK_a, rk) = e(g, PK_b). Two pairings. */
export function preVerifyRekey(pkA: Uint8Array, pkB: Uint8Array, rk: Uint8Array): boolean {
  const lhs = mcl.pairing(decodeG1(pkA, 'delegator public key'), decodeG2(rk, 're-encryption key'));
  return lhs.isEqual(mcl.pairing(getCurve().g, decodeG2(pkB, 'delegatee public key')));
}

interface Ciphertext {
  readonly c1: Uint8Array;
  readonly wrapped: Uint8Array;
}

function parseCiphertext(ciphertext: Uint8Array): Ciphertext {
  expectLength(ciphertext, PRE_CIPHERTEXT_LENGTH, 'PRE ciphertext');
  const r = new ByteReader(ciphertext, 'PRE ciphertext');
  const version = r.u8('version');
  if (version !== PRE_CIPHERTEXT_VERSION) {
    throw new CryptoError('BAD_FORMAT', `PRE ciphertext: version byte 0x${version.toString(16)} (expected 0x01)`);
  }
  return { c1: r.take(G1_LENGTH, 'C1'), wrapped: r.rest() };
}

/** Proxy side: needs no secret; output is deterministic in (ciphertext, rk). */
export function preReencrypt(ciphertext: Uint8Array, rk: Uint8Array): Uint8Array {
  const { c1, wrapped } = parseCiphertext(ciphertext);
  const R = mcl.pairing(decodeG1(c1, 'ciphertext C1'), decodeG2(rk, 're-encryption key'));
  return concatBytes(Uint8Array.of(PRE_REENCRYPTED_VERSION), c1, R.serialize(), wrapped);
}

function unwrap(zr: mcl.GT, c1: Uint8Array, wrapped: Uint8Array, context: RecordContext): Uint8Array {
  const key = kemKey(zr, c1);
  zr.clear();
  try {
    return open(key, context, wrapped);
  } catch (e) {
    if (e instanceof CryptoError && e.code === 'AUTH_FAILED') {
      throw new CryptoError(
        'AUTH_FAILED',
        'PRE decryption failed: wrong secret key, a ciphertext for another record/version, or a tampered ciphertext',
        { cause: e },
      );
    }
    throw e;
  } finally {
    wipe(key);
  }
}

export function preDecrypt(a: Uint8Array, ciphertext: Uint8Array, context: RecordContext): Uint8Array {
  const { c1, wrapped } = parseCiphertext(ciphertext);
  const point = decodeG1(c1, 'ciphertext C1');
  const { hLines } = getCurve();
  // e(C1^(1/a), h) with h's lines precomputed: cheaper than e(C1, h)^(1/a).
  const zr = withScalar(a, 'delegator secret key', (s) => {
    const inv = mcl.inv(s);
    try {
      return mcl.finalExp(mcl.precomputedMillerLoop(mcl.mul(point, inv), hLines));
    } finally {
      inv.clear();
    }
  });
  return unwrap(zr, c1, wrapped, context);
}

export function preDecryptReencrypted(b: Uint8Array, reencrypted: Uint8Array, context: RecordContext): Uint8Array {
  expectLength(reencrypted, PRE_REENCRYPTED_LENGTH, 're-encrypted PRE ciphertext');
  const r = new ByteReader(reencrypted, 're-encrypted PRE ciphertext');
  const version = r.u8('version');
  if (version !== PRE_REENCRYPTED_VERSION) {
    throw new CryptoError(
      'BAD_FORMAT',
      `re-encrypted PRE ciphertext: version byte 0x${version.toString(16)} (expected 0x02)`,
    );
  }
  // C1 is carried only to bind the KEM key; the delegatee never computes with it.
  const c1 = r.take(G1_LENGTH, 'C1');
  const R = decodeGT(r.take(GT_LENGTH, 'R'), 're-encrypted component R');
  const wrapped = r.rest();
  const zr = withScalar(b, 'delegatee secret key', (s) => {
    const inv = mcl.inv(s);
    try {
      return mcl.pow(R, inv);
    } finally {
      inv.clear();
    }
  });
  return unwrap(zr, c1, wrapped, context);
}
