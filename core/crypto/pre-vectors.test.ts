import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as mcl from 'mcl-wasm';
import { bls12_381 as bls } from '@noble/curves/bls12-381.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { getCurve, initPre } from './bls.js';
import { decodeScalar } from './bls-codec.js';
import { open } from './envelope.js';
import { preDecrypt, preDecryptReencrypted } from './pre.js';
import { computePreVector, PRE_VECTOR_INPUTS, type PreVector } from './pre-vectors.js';
import { nobleGtBytes, scalarBytes } from './test-helpers.js';

const file = new URL('../../docs/vectors/pre.json', import.meta.url);
const vectors = JSON.parse(readFileSync(file, 'utf8')) as PreVector[];
const REQUIRED = ['a', 'b', 'r', 'pkA', 'pkB', 'c1', 'rk', 'zr', 'reencrypted', 'dek', 'envelope'];
const { Fr, Fp12 } = bls.fields;

before(() => initPre());

test('docs/vectors/pre.json has ≥ 4 vectors of lowercase hex with the required keys', () => {
  assert.ok(vectors.length >= 4);
  for (const v of vectors) {
    for (const k of REQUIRED) assert.ok(k in v, `missing ${k}`);
    for (const [k, value] of Object.entries(v)) assert.match(String(value), /^([0-9a-f]{2})+$/, k);
    for (const k of ['a', 'b', 'r']) assert.equal(v[k as 'a'].length, 64);
  }
});

test('the file is exactly what this implementation computes', () => {
  assert.deepEqual(vectors, PRE_VECTOR_INPUTS.map(computePreVector));
});

test('every vector checks out against @noble/curves and decrypts to its dek', () => {
  const g = bls.G1.Point.BASE;
  const h = bls.G2.Point.BASE;
  const Z = bls.pairing(g, h);
  for (const v of vectors) {
    const [a, b, r] = [v.a, v.b, v.r].map((x) => BigInt('0x' + x)) as [bigint, bigint, bigint];
    assert.equal(v.pkA, g.multiply(a).toHex());
    assert.equal(v.pkB, h.multiply(b).toHex());
    assert.equal(v.c1, g.multiply(Fr.mul(a, r)).toHex());
    assert.equal(v.rk, h.multiply(Fr.mul(b, Fr.inv(a))).toHex());
    const zr = Fp12.pow(Z, r);
    assert.equal(v.zr, bytesToHex(nobleGtBytes(zr)));
    assert.equal(v.reencrypted, bytesToHex(nobleGtBytes(Fp12.pow(zr, b))));
    const kemKey = hkdf(sha256, hexToBytes(v.zr), hexToBytes(v.hkdfSalt), hexToBytes(v.hkdfInfo), 32);
    assert.equal(v.kemKey, bytesToHex(kemKey));
    const context = { recordId: hexToBytes(v.recordId), version: Number.parseInt(v.version, 16) };
    assert.equal(bytesToHex(open(kemKey, context, hexToBytes(v.envelope))), v.dek);
    assert.equal(v.envelope.slice(2, 26), v.nonce);
    assert.equal(bytesToHex(preDecrypt(hexToBytes(v.a), hexToBytes(v.ciphertext), context)), v.dek);
    assert.equal(
      bytesToHex(preDecryptReencrypted(hexToBytes(v.b), hexToBytes(v.reencryptedCiphertext), context)),
      v.dek,
    );
  }
});

test('reference §E vectors (a=2, r=5, b=3)', () => {
  const sha = (bytes: Uint8Array) => bytesToHex(sha256(bytes));
  const { z, g } = getCurve();
  const fr = (n: bigint) => decodeScalar(scalarBytes(n), 'k');
  assert.equal(sha(z.serialize()), 'f2b27eba1c05914cbc35b259fc28760294a24a67682d8cc186f68ff2f204f02a');
  const c1 = mcl.mul(g, fr(10n));
  assert.equal(
    bytesToHex(c1.serialize()),
    'af81da25ecf1c84b577fefbedd61077a81dc43b00304015b2b596ab67f00e41c86bb00ebd0f90d4b125eb0539891aeed',
  );
  assert.equal(sha(mcl.pow(z, fr(5n)).serialize()), 'ae9504da820086dfdc5814e4bb2b90a961bb5a49a258446d55438e1366e7aca5');
  const rk = mcl.mul(getCurve().h, mcl.div(fr(3n), fr(2n)));
  assert.equal(
    sha(mcl.pairing(c1, rk).serialize()),
    '8bf1becb1d78330ed488df8e6fdd9459a134f525d865c3bff73ee39386f848c9',
  );
  // The first file vector is the same case carried through the full KEM.
  assert.equal(vectors[0]?.c1, bytesToHex(c1.serialize()));
  assert.equal(sha(hexToBytes(vectors[0].zr)), 'ae9504da820086dfdc5814e4bb2b90a961bb5a49a258446d55438e1366e7aca5');
  assert.equal(
    sha(hexToBytes(vectors[0].reencrypted)),
    '8bf1becb1d78330ed488df8e6fdd9459a134f525d865c3bff73ee39386f848c9',
  );
});
