import * as mcl from 'mcl-wasm';
import { CryptoError, expectLength } from './errors.js';
import { getCurve } from './bls.js';
import { isInGT } from './gt-membership.js';

/**
 * Byte encodings of BLS12-381 values (docs/formats.md § AFGH PRE) with validation on every decode:
 * a value that came from outside is never used before its length, canonical form, subgroup and
 * non-identity have been checked.
 *
 * - scalar: 32-byte big-endian, < r
 * - G1 / G2: ZCash compressed, 48 / 96 bytes
 * - GT: 576 bytes, mcl's ETH-mode layout (see formats.md); noble's Fp12.toBytes differs only by
 *   swapping the two 48-byte halves of every 96-byte Fp2 block.
 */
export const SCALAR_LENGTH = 32;
export const G1_LENGTH = 48;
export const G2_LENGTH = 96;
export const GT_LENGTH = 576;

export function decodeScalar(bytes: Uint8Array, what: string): mcl.Fr {
  getCurve();
  expectLength(bytes, SCALAR_LENGTH, what);
  const s = new mcl.Fr();
  try {
    s.deserialize(bytes);
  } catch (cause) {
    throw new CryptoError('BAD_SCALAR', `${what} is not below the BLS12-381 group order r`, { cause });
  }
  if (s.isZero()) throw new CryptoError('ZERO_SCALAR', `${what} is zero`);
  return s;
}

export function randomScalar(): mcl.Fr {
  getCurve();
  const s = new mcl.Fr();
  do s.setByCSPRNG();
  while (s.isZero());
  return s;
}

function decodePoint<P extends mcl.G1 | mcl.G2>(point: P, bytes: Uint8Array, length: number, what: string): P {
  getCurve();
  expectLength(bytes, length, what);
  try {
    point.deserialize(bytes);
  } catch (cause) {
    throw new CryptoError(
      'BAD_POINT',
      `${what} is not a valid compressed point of the prime-order subgroup (bad flags, x ≥ p, not on the curve, or wrong subgroup)`,
      { cause },
    );
  }
  // mcl accepts the infinity encoding 0xc0 00…; the identity is never a legitimate key or ciphertext.
  if (point.isZero()) throw new CryptoError('IDENTITY_POINT', `${what} is the point at infinity`);
  return point;
}

export function decodeG1(bytes: Uint8Array, what: string): mcl.G1 {
  return decodePoint(new mcl.G1(), bytes, G1_LENGTH, `${what} (G1)`);
}

export function decodeG2(bytes: Uint8Array, what: string): mcl.G2 {
  return decodePoint(new mcl.G2(), bytes, G2_LENGTH, `${what} (G2)`);
}

export function decodeGT(bytes: Uint8Array, what: string): mcl.GT {
  getCurve();
  expectLength(bytes, GT_LENGTH, `${what} (GT)`);
  const f = new mcl.GT();
  try {
    f.deserialize(bytes);
  } catch (cause) {
    throw new CryptoError('BAD_POINT', `${what} (GT) has a coordinate that is not below p`, { cause });
  }
  if (f.isOne()) throw new CryptoError('IDENTITY_POINT', `${what} (GT) is the identity`);
  if (!isInGT(f)) throw new CryptoError('BAD_POINT', `${what} is not an element of the order-r subgroup GT`);
  return f;
}
