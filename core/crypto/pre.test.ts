import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bls12_381 as bls } from '@noble/curves/bls12-381.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { initPre } from './bls.js';
import { generateDek } from './envelope.js';
import { CryptoError } from './errors.js';
import {
  PRE_CIPHERTEXT_LENGTH,
  PRE_REENCRYPTED_LENGTH,
  preDecrypt,
  preDecryptReencrypted,
  preDelegateePublicKey,
  preDelegatorPublicKey,
  preEncrypt,
  preEncryptDeterministic,
  preKeygenDelegatee,
  preKeygenDelegator,
  preReencrypt,
  preRekey,
  preVerifyRekey,
} from './pre.js';
import { arbContext, arbScalar, forEachTamper, nobleGtBytes, scalarBytes } from './test-helpers.js';

const { Fr, Fp12 } = bls.fields;
const code = (c: string) => (e: unknown) => e instanceof CryptoError && e.code === c;
const isCrypto = (e: unknown) => e instanceof CryptoError;
const ctx = (name: string) => ({ recordId: utf8ToBytes(name), version: 1 });

before(() => initPre());

test('round trip: delegator decrypt and re-encrypt → delegatee decrypt', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), arbContext, (dek, context) => {
      const alice = preKeygenDelegator();
      const bob = preKeygenDelegatee();
      const ct = preEncrypt(alice.publicKey, dek, context);
      assert.equal(ct.length, PRE_CIPHERTEXT_LENGTH);
      assert.deepEqual(preDecrypt(alice.secretKey, ct, context), dek);
      const rk = preRekey(alice.secretKey, bob.publicKey);
      assert.ok(preVerifyRekey(alice.publicKey, bob.publicKey, rk));
      const re = preReencrypt(ct, rk);
      assert.equal(re.length, PRE_REENCRYPTED_LENGTH);
      assert.deepEqual(preReencrypt(ct, rk), re, 're-encryption is deterministic');
      assert.deepEqual(preDecryptReencrypted(bob.secretKey, re, context), dek);
    }),
    { numRuns: 8 },
  );
});

test('mcl results equal an independent @noble/curves computation', () => {
  fc.assert(
    fc.property(arbScalar, arbScalar, arbScalar, (a, b, r) => {
      const g = bls.G1.Point.BASE;
      const h = bls.G2.Point.BASE;
      const pkA = preDelegatorPublicKey(scalarBytes(a));
      const pkB = preDelegateePublicKey(scalarBytes(b));
      assert.equal(bytesToHex(pkA), g.multiply(a).toHex());
      assert.equal(bytesToHex(pkB), h.multiply(b).toHex());
      const ct = preEncryptDeterministic(pkA, generateDek(), ctx('x'), scalarBytes(r), new Uint8Array(12));
      const c1 = bls.G1.Point.fromBytes(ct.subarray(1, 49));
      assert.ok(c1.equals(g.multiply(Fr.mul(a, r))));
      const rk = preRekey(scalarBytes(a), pkB);
      assert.equal(bytesToHex(rk), h.multiply(Fr.mul(b, Fr.inv(a))).toHex());
      const R = preReencrypt(ct, rk).subarray(49, 49 + 576);
      const zr = Fp12.pow(bls.pairing(g, h), r);
      assert.equal(bytesToHex(R), bytesToHex(nobleGtBytes(Fp12.pow(zr, b))));
      assert.ok(Fp12.eql(Fp12.pow(bls.pairing(c1, bls.G2.Point.fromBytes(rk)), Fr.inv(b)), zr));
    }),
    { numRuns: 3 },
  );
});

test("a re-key for record i does not open record j, and Bob's re-encryption does not open for Carol", () => {
  const recI = preKeygenDelegator();
  const recJ = preKeygenDelegator();
  const bob = preKeygenDelegatee();
  const carol = preKeygenDelegatee();
  const dekI = generateDek();
  const ctI = preEncrypt(recI.publicKey, dekI, ctx('i'));
  const ctJ = preEncrypt(recJ.publicKey, generateDek(), ctx('j'));
  const rkI = preRekey(recI.secretKey, bob.publicKey);
  assert.equal(preVerifyRekey(recJ.publicKey, bob.publicKey, rkI), false);
  assert.equal(preVerifyRekey(recI.publicKey, carol.publicKey, rkI), false);
  assert.throws(() => preDecryptReencrypted(bob.secretKey, preReencrypt(ctJ, rkI), ctx('j')), code('AUTH_FAILED'));
  const forBob = preReencrypt(ctI, rkI);
  assert.deepEqual(preDecryptReencrypted(bob.secretKey, forBob, ctx('i')), dekI);
  assert.throws(() => preDecryptReencrypted(carol.secretKey, forBob, ctx('i')), code('AUTH_FAILED'));
  assert.throws(() => preDecryptReencrypted(bob.secretKey, forBob, ctx('j')), code('AUTH_FAILED'));
  assert.throws(() => preDecrypt(recJ.secretKey, ctI, ctx('i')), code('AUTH_FAILED'));
  assert.throws(() => preDecrypt(recI.secretKey, ctI, { recordId: utf8ToBytes('i'), version: 2 }), code('AUTH_FAILED'));
});

test('every tampered byte of a ciphertext, re-key or re-encrypted ciphertext is rejected', () => {
  const alice = preKeygenDelegator();
  const bob = preKeygenDelegatee();
  const context = ctx('tamper');
  const ct = preEncrypt(alice.publicKey, generateDek(), context);
  const rk = preRekey(alice.secretKey, bob.publicKey);
  const re = preReencrypt(ct, rk);
  forEachTamper(ct, (t, i) => {
    assert.throws(() => preDecrypt(alice.secretKey, t, context), isCrypto, `delegator, byte ${i}`);
    // A flipped sign bit of C1 is still a valid point (−C1): the proxy cannot tell, the AEAD does.
    assert.throws(
      () => preDecryptReencrypted(bob.secretKey, preReencrypt(t, rk), context),
      isCrypto,
      `proxy path, byte ${i}`,
    );
  });
  forEachTamper(rk, (t, i) => {
    assert.throws(() => preDecryptReencrypted(bob.secretKey, preReencrypt(ct, t), context), isCrypto, `rk byte ${i}`);
  });
  forEachTamper(
    re,
    (t, i) => {
      assert.throws(() => preDecryptReencrypted(bob.secretKey, t, context), isCrypto, `re-encrypted byte ${i}`);
    },
    [0x01],
  );
});

test('invalid keys, identity points and zero scalars are rejected with clear errors', () => {
  const alice = preKeygenDelegator();
  const bob = preKeygenDelegatee();
  const inf1 = new Uint8Array(48);
  inf1[0] = 0xc0;
  const inf2 = new Uint8Array(96);
  inf2[0] = 0xc0;
  assert.throws(() => preEncrypt(inf1, generateDek(), ctx('x')), code('IDENTITY_POINT'));
  assert.throws(() => preEncrypt(bob.publicKey, generateDek(), ctx('x')), code('BAD_LENGTH'));
  assert.throws(
    () => preEncryptDeterministic(alice.publicKey, generateDek(), ctx('x'), new Uint8Array(32), new Uint8Array(12)),
    code('ZERO_SCALAR'),
  );
  assert.throws(() => preRekey(new Uint8Array(32), bob.publicKey), code('ZERO_SCALAR'));
  assert.throws(() => preRekey(alice.secretKey, inf2), /delegatee public key \(G2\) is the point at infinity/);
  const ct = preEncrypt(alice.publicKey, generateDek(), ctx('x'));
  const withInfinity = ct.slice();
  withInfinity.set(inf1, 1);
  assert.throws(() => preReencrypt(withInfinity, preRekey(alice.secretKey, bob.publicKey)), code('IDENTITY_POINT'));
  assert.throws(() => preReencrypt(ct, inf2), code('IDENTITY_POINT'));
  assert.throws(() => preDecrypt(new Uint8Array(32), ct, ctx('x')), code('ZERO_SCALAR'));
  const re = preReencrypt(ct, preRekey(alice.secretKey, bob.publicKey));
  assert.throws(() => preDecryptReencrypted(bob.secretKey, ct, ctx('x')), code('BAD_LENGTH'));
  assert.throws(() => preDecrypt(alice.secretKey, re, ctx('x')), code('BAD_LENGTH'));
  const wrongVersion = re.slice();
  wrongVersion[0] = 0x01;
  assert.throws(
    () => preDecryptReencrypted(bob.secretKey, wrongVersion, ctx('x')),
    /version byte 0x1 \(expected 0x02\)/,
  );
});
