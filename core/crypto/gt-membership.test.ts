import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as mcl from 'mcl-wasm';
import { bls12_381 as bls } from '@noble/curves/bls12-381.js';
import { getCurve, initPre } from './bls.js';
import { decodeScalar } from './bls-codec.js';
import { CURVE_X_ABS, FIELD_MODULUS, frobenius, isInGT } from './gt-membership.js';
import { arbScalar, ORDER, scalarBytes, swapFp2Halves } from './test-helpers.js';

const { Fp12 } = bls.fields;
type Fp12 = ReturnType<typeof Fp12.fromBigTwelve>;
const toMcl = (f: Fp12) => {
  const g = new mcl.GT();
  g.deserialize(swapFp2Halves(Fp12.toBytes(f)));
  return g;
};
const toNoble = (g: mcl.GT) => Fp12.fromBytes(swapFp2Halves(g.serialize()));
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
const arbFp = fc.bigInt({ min: 0n, max: FIELD_MODULUS - 1n });
const arbFp12 = fc
  .tuple(arbFp, arbFp, arbFp, arbFp, arbFp, arbFp, arbFp, arbFp, arbFp, arbFp, arbFp, arbFp)
  .map((t) => Fp12.fromBigTwelve(t));
/** f^((p⁶ − 1)(p² + 1)): lands in the cyclotomic subgroup, almost never in GT. */
const toCyclotomic = (f: Fp12) => {
  const easy = Fp12.mul(Fp12.conjugate(f), Fp12.inv(f));
  return Fp12.mul(Fp12.frobeniusMap(easy, 2), easy);
};

before(() => initPre());

test('curve constants: p, |x|, r = x⁴ − x² + 1 and gcd(p + |x|, Φ12(p)) = r', () => {
  const p = FIELD_MODULUS;
  assert.equal(p, bls.fields.Fp.ORDER);
  const x = -CURVE_X_ABS;
  assert.equal(x ** 4n - x ** 2n + 1n, ORDER);
  assert.equal(gcd(p + CURVE_X_ABS, p ** 4n - p ** 2n + 1n), ORDER);
});

test('Frobenius equals noble on arbitrary Fp12 elements and f^(p mod r) on GT', () => {
  fc.assert(
    fc.property(arbFp12, (f) => {
      assert.ok(Fp12.eql(toNoble(frobenius(toMcl(f), 1)), Fp12.frobeniusMap(f, 1)));
      assert.ok(Fp12.eql(toNoble(frobenius(toMcl(f), 2)), Fp12.frobeniusMap(f, 2)));
    }),
    { numRuns: 10 },
  );
  const zk = mcl.pow(getCurve().z, decodeScalar(scalarBytes(987654321n), 'k'));
  assert.ok(frobenius(zk, 1).isEqual(mcl.pow(zk, decodeScalar(scalarBytes(FIELD_MODULUS % ORDER), 'p mod r'))));
});

test('isInGT accepts exactly the order-r subgroup', () => {
  fc.assert(
    fc.property(arbScalar, arbFp12, (k, f) => {
      const zk = mcl.pow(getCurve().z, decodeScalar(scalarBytes(k), 'k'));
      assert.ok(isInGT(zk));
      assert.equal(isInGT(toMcl(f)), false, 'random Fp12 element');
      const c = toCyclotomic(f);
      assert.equal(isInGT(toMcl(c)), false, 'cyclotomic, not GT');
      assert.equal(isInGT(mcl.mul(zk, toMcl(c))), false, 'GT element times a cyclotomic non-GT element');
    }),
    { numRuns: 8 },
  );
  assert.equal(isInGT(toMcl(Fp12.neg(Fp12.ONE))), false, 'order 2');
  assert.equal(isInGT(new mcl.GT()), false, 'zero');
});
