import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as mcl from 'mcl-wasm';
import { bls12_381 as bls } from '@noble/curves/bls12-381.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { G1_GENERATOR_HEX, G2_GENERATOR_HEX, getCurve, initPre } from './bls.js';
import { decodeG1, decodeG2, decodeGT, decodeScalar } from './bls-codec.js';
import { isInGT } from './gt-membership.js';
import { CryptoError } from './errors.js';
import { arbScalar, nobleGtBytes, ORDER, scalarBytes, swapFp2Halves } from './test-helpers.js';

const { Fp, Fp2, Fp12 } = bls.fields;
const P = Fp.ORDER;
const code = (c: string) => (e: unknown) => e instanceof CryptoError && e.code === c;
const be48 = (n: bigint) => hexToBytes(n.toString(16).padStart(96, '0'));

before(() => initPre());

test('generators are the standard ones and Z = e(g, h) matches noble under the documented GT layout', () => {
  assert.equal(G1_GENERATOR_HEX, bytesToHex(bls.G1.Point.BASE.toBytes()));
  assert.equal(G2_GENERATOR_HEX, bytesToHex(bls.G2.Point.BASE.toBytes()));
  const noble = bls.pairing(bls.G1.Point.BASE, bls.G2.Point.BASE);
  assert.equal(bytesToHex(getCurve().z.serialize()), bytesToHex(nobleGtBytes(noble)));
  assert.ok(Fp12.eql(Fp12.fromBytes(swapFp2Halves(getCurve().z.serialize())), noble));
});

test('scalars: zero, ≥ r and wrong length are rejected with their own codes', () => {
  assert.throws(() => decodeScalar(new Uint8Array(32), 'a'), code('ZERO_SCALAR'));
  assert.throws(() => decodeScalar(scalarBytes(ORDER), 'a'), code('BAD_SCALAR'));
  assert.throws(() => decodeScalar(new Uint8Array(32).fill(0xff), 'a'), code('BAD_SCALAR'));
  assert.throws(() => decodeScalar(new Uint8Array(31), 'a'), code('BAD_LENGTH'));
  assert.equal(decodeScalar(scalarBytes(ORDER - 1n), 'a').getStr(16), (ORDER - 1n).toString(16));
});

test('G1/G2 decoding accepts exactly what noble accepts, minus the identity', () => {
  fc.assert(
    fc.property(arbScalar, fc.nat({ max: 95 }), fc.integer({ min: 1, max: 255 }), (k, index, mask) => {
      for (const [group, decode, len] of [
        [bls.G1, decodeG1, 48],
        [bls.G2, decodeG2, 96],
      ] as const) {
        const bytes = group.Point.BASE.multiply(k).toBytes();
        assert.deepEqual(decode(bytes, 'p').serialize(), bytes);
        const t = bytes.slice();
        t[index % len] = (t[index % len] as number) ^ mask;
        let nobleOk: boolean;
        try {
          nobleOk = !group.Point.fromBytes(t).is0();
        } catch {
          nobleOk = false;
        }
        let oursOk = true;
        try {
          decode(t, 'p');
        } catch (e) {
          assert.ok(e instanceof CryptoError && ['BAD_POINT', 'IDENTITY_POINT'].includes(e.code));
          oursOk = false;
        }
        assert.equal(oursOk, nobleOk, `mask ${mask} at ${index % len}`);
      }
    }),
    { numRuns: 40 },
  );
});

test('identity, x ≥ p, uncompressed flags and wrong lengths are rejected', () => {
  const inf1 = new Uint8Array(48);
  inf1[0] = 0xc0;
  const inf2 = new Uint8Array(96);
  inf2[0] = 0xc0;
  assert.throws(() => decodeG1(inf1, 'pk'), code('IDENTITY_POINT'));
  assert.throws(() => decodeG2(inf2, 'pk'), code('IDENTITY_POINT'));
  const xp = be48(P);
  xp[0] = (xp[0] as number) | 0x80;
  assert.throws(() => decodeG1(xp, 'pk'), code('BAD_POINT'));
  const uncompressedFlag = bls.G1.Point.BASE.toBytes();
  uncompressedFlag[0] = (uncompressedFlag[0] as number) & 0x7f;
  assert.throws(() => decodeG1(uncompressedFlag, 'pk'), code('BAD_POINT'));
  assert.throws(() => decodeG1(new Uint8Array(47), 'pk'), code('BAD_LENGTH'));
  assert.throws(() => decodeG2(bls.G1.Point.BASE.toBytes(), 'pk'), code('BAD_LENGTH'));
});

test('on-curve points outside the prime-order subgroup are rejected (G1 and G2)', () => {
  // Smallest x with x³ + 4 a square: on the curve, and with overwhelming probability (cofactor ≈ 2^126) not in G1.
  let x = 1n;
  while (!bls.fields.Fp.isValid(x) || Fp.pow(Fp.add(Fp.pow(x, 3n), 4n), (P - 1n) / 2n) !== 1n) x++;
  const g1 = be48(x);
  g1[0] = (g1[0] as number) | 0x80;
  assert.throws(() => bls.G1.Point.fromBytes(g1), 'noble agrees it is invalid');
  assert.throws(() => decodeG1(g1, 'pk'), code('BAD_POINT'));

  const b2 = Fp2.fromBigTuple([4n, 4n]);
  let x2 = Fp2.fromBigTuple([1n, 0n]);
  const isSquare = (v: typeof x2) => {
    try {
      Fp2.sqrt(v);
      return true;
    } catch {
      return false;
    }
  };
  while (!isSquare(Fp2.add(Fp2.pow(x2, 3n), b2))) x2 = Fp2.add(x2, Fp2.ONE);
  const g2 = new Uint8Array(96);
  g2.set(be48(x2.c1), 0);
  g2.set(be48(x2.c0), 48);
  g2[0] = (g2[0] as number) | 0x80;
  assert.throws(() => bls.G2.Point.fromBytes(g2), 'noble agrees it is invalid');
  assert.throws(() => decodeG2(g2, 'pk'), code('BAD_POINT'));
});

test('GT: identity, zero, coordinates ≥ p, non-subgroup and cyclotomic-but-not-GT elements are rejected', () => {
  const z = getCurve().z;
  assert.ok(isInGT(z));
  assert.ok(isInGT(mcl.pow(z, decodeScalar(scalarBytes(123456789n), 'k'))));
  const one = new mcl.GT();
  one.setInt(1);
  assert.throws(() => decodeGT(one.serialize(), 'R'), code('IDENTITY_POINT'));
  assert.throws(() => decodeGT(new Uint8Array(576), 'R'), code('BAD_POINT'));
  const big = z.serialize();
  big.set(be48(P), 0);
  assert.throws(() => decodeGT(big, 'R'), code('BAD_POINT'));
  const tampered = z.serialize();
  tampered[300] = (tampered[300] as number) ^ 1;
  assert.throws(() => decodeGT(tampered, 'R'), code('BAD_POINT'));
  // A random element pushed into the cyclotomic subgroup (order p⁴ − p² + 1 = r·h) but not into GT.
  const f = Fp12.fromBigTwelve([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n, 12n]);
  const easy = Fp12.mul(Fp12.conjugate(f), Fp12.inv(f)); // f^(p⁶ − 1)
  const cyclo = Fp12.mul(Fp12.frobeniusMap(easy, 2), easy); // ^(p² + 1)
  assert.ok(Fp12.eql(Fp12.mul(Fp12.frobeniusMap(cyclo, 4), cyclo), Fp12.frobeniusMap(cyclo, 2)), 'is cyclotomic');
  assert.throws(() => decodeGT(swapFp2Halves(Fp12.toBytes(cyclo)), 'R'), code('BAD_POINT'));
  assert.throws(() => decodeGT(new Uint8Array(575), 'R'), code('BAD_LENGTH'));
});
