import * as mcl from 'mcl-wasm';
import { getCurve } from './bls.js';

/**
 * Exact membership test for GT, the order-r subgroup of Fp12*.
 *
 * mcl's GT `pow` uses GLV/Frobenius decomposition and cyclotomic squaring, which only equal real
 * exponentiation for inputs already in GT, so `f^r = 1` cannot be tested with it. Instead
 * (Scott, "A note on group membership tests for G1, G2 and GT", ePrint 2021/1130), with exact
 * operations only (Fp12 mul/sqr, Frobenius built from Fp2 multiplications):
 *   f is cyclotomic:  f^(p⁴) · f = f^(p²)            (order divides Φ12(p) = p⁴ − p² + 1)
 *   f^p = f^x, x = −|x|:  f^p · f^|x| = 1            (order divides p + |x|)
 * gcd(p + |x|, Φ12(p)) = r for BLS12-381 (checked in gt-membership.test.ts), so both hold iff f ∈ GT.
 */
export const FIELD_MODULUS =
  0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaabn;
/** |x| for the BLS12-381 parameter x = −0xd201000000010000. */
export const CURVE_X_ABS = 0xd201000000010000n;

/** Power of w carried by each 96-byte Fp2 block of the GT encoding (a0, a1, a2, b0, b1, b2; v = w²). */
const W_POWER = [0, 2, 4, 1, 3, 5] as const;
const FP2_BYTES = 96;

interface FrobeniusConstants {
  /** γ1[k] = ξ^(k(p−1)/6), ξ = 1 + u: (c·w^k)^p = conj(c)·γ1[k]·w^k. */
  readonly gamma1: readonly mcl.Fp2[];
  /** γ2[k] = ξ^(k(p²−1)/6) = γ1[k]·conj(γ1[k]): (c·w^k)^(p²) = c·γ2[k]·w^k. */
  readonly gamma2: readonly mcl.Fp2[];
}

let constants: FrobeniusConstants | undefined;

function conjugate(c: mcl.Fp2): mcl.Fp2 {
  const out = new mcl.Fp2();
  out.set_a(c.get_a());
  out.set_b(mcl.neg(c.get_b()));
  return out;
}

function fp2Pow(base: mcl.Fp2, exponent: bigint): mcl.Fp2 {
  let acc = new mcl.Fp2();
  acc.setInt(1, 0);
  for (let i = exponent.toString(2).length - 1; i >= 0; i--) {
    acc = mcl.sqr(acc);
    if ((exponent >> BigInt(i)) & 1n) acc = mcl.mul(acc, base);
  }
  return acc;
}

function frobeniusConstants(): FrobeniusConstants {
  getCurve();
  if (constants === undefined) {
    const xi = new mcl.Fp2();
    xi.setInt(1, 1);
    const g1 = fp2Pow(xi, (FIELD_MODULUS - 1n) / 6n);
    const gamma1: mcl.Fp2[] = [];
    let acc = new mcl.Fp2();
    acc.setInt(1, 0);
    for (let k = 0; k < 6; k++) {
      gamma1.push(acc);
      acc = mcl.mul(acc, g1);
    }
    constants = { gamma1, gamma2: gamma1.map((g) => mcl.mul(g, conjugate(g))) };
  }
  return constants;
}

/** f^(p^power) for power 1 or 2; exact for every Fp12 element. */
export function frobenius(f: mcl.GT, power: 1 | 2): mcl.GT {
  const { gamma1, gamma2 } = frobeniusConstants();
  const bytes = f.serialize();
  const out = new Uint8Array(bytes.length);
  W_POWER.forEach((k, i) => {
    const c = new mcl.Fp2();
    c.deserialize(bytes.subarray(i * FP2_BYTES, (i + 1) * FP2_BYTES));
    const image = power === 1 ? mcl.mul(conjugate(c), gamma1[k] as mcl.Fp2) : mcl.mul(c, gamma2[k] as mcl.Fp2);
    out.set(image.serialize(), i * FP2_BYTES);
  });
  const result = new mcl.GT();
  result.deserialize(out);
  return result;
}

/** f^|x| by square-and-multiply over generic Fp12 operations (exact for any f). */
function powCurveXAbs(f: mcl.GT): mcl.GT {
  let acc = f;
  for (let i = CURVE_X_ABS.toString(2).length - 2; i >= 0; i--) {
    acc = mcl.sqr(acc);
    if ((CURVE_X_ABS >> BigInt(i)) & 1n) acc = mcl.mul(acc, f);
  }
  return acc;
}

export function isInGT(f: mcl.GT): boolean {
  if (f.isZero()) return false;
  const fp2 = frobenius(f, 2);
  if (!mcl.mul(frobenius(fp2, 2), f).isEqual(fp2)) return false;
  return mcl.mul(frobenius(f, 1), powCurveXAbs(f)).isOne();
}
