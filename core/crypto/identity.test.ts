import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { addressOf, generateIdentity, identityFromSecret, recoverPublicKey, sign, verify } from './identity.js';
import { CryptoError } from './errors.js';

test('address of a known key matches the Ethereum/FISCO derivation', () => {
  // Secret key 1: its address is the well-known 0x7e5f4552091a69125d5dfcb7b8c2659029395bdf.
  const id = identityFromSecret(hexToBytes('00'.repeat(31) + '01'));
  assert.equal(bytesToHex(id.address), '7e5f4552091a69125d5dfcb7b8c2659029395bdf');
  assert.equal(id.publicKey.length, 64);
});

test('sign/verify round trip by address and by key; deterministic and low-s', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (msg) => {
      const id = generateIdentity();
      const sig = sign(id.secretKey, msg);
      assert.equal(sig.length, 65);
      assert.deepEqual(sign(id.secretKey, msg), sig, 'RFC 6979 signatures are deterministic');
      const s = BigInt('0x' + bytesToHex(sig.subarray(32, 64)));
      assert.ok(s <= secp256k1.Point.CURVE().n / 2n, 'low-s');
      assert.ok(verify(sig, msg, id.address));
      assert.ok(verify(sig, msg, id.publicKey));
      assert.deepEqual(recoverPublicKey(sig, msg), id.publicKey);
      // Independent check: noble's own verifier over keccak256(msg).
      assert.ok(
        secp256k1.verify(sig.subarray(0, 64), keccak_256(msg), Uint8Array.of(4, ...id.publicKey), { prehash: false }),
      );
    }),
    { numRuns: 20 },
  );
});

test('verify rejects other messages, other signers, tampering and the high-s twin', () => {
  const id = generateIdentity();
  const other = generateIdentity();
  const msg = utf8ToBytes('record 1');
  const sig = sign(id.secretKey, msg);
  assert.equal(verify(sig, utf8ToBytes('record 2'), id.address), false);
  assert.equal(verify(sig, msg, other.address), false);
  assert.equal(verify(sig, msg, other.publicKey), false);
  for (let i = 0; i < sig.length; i++) {
    const t = sig.slice();
    t[i] = (t[i] as number) ^ 1;
    assert.equal(verify(t, msg, id.address), false, `byte ${i}`);
  }
  const n = secp256k1.Point.CURVE().n;
  const s = BigInt('0x' + bytesToHex(sig.subarray(32, 64)));
  const high = sig.slice();
  high.set(hexToBytes((n - s).toString(16).padStart(64, '0')), 32);
  high[64] = (high[64] as number) ^ 1;
  assert.equal(verify(high, msg, id.address), false);
  assert.throws(
    () => recoverPublicKey(high, msg),
    (e: unknown) => e instanceof CryptoError && e.code === 'BAD_SIGNATURE',
  );
});

test('clear errors for bad keys and signer lengths', () => {
  assert.throws(
    () => identityFromSecret(new Uint8Array(32)),
    (e: unknown) => e instanceof CryptoError && e.code === 'BAD_SCALAR',
  );
  assert.throws(
    () => sign(new Uint8Array(31), new Uint8Array()),
    (e: unknown) => e instanceof CryptoError && e.code === 'BAD_LENGTH',
  );
  assert.throws(
    () => verify(new Uint8Array(65), new Uint8Array(), new Uint8Array(33)),
    /20-byte address or a 64-byte public key/,
  );
  assert.throws(() => addressOf(new Uint8Array(65)), /64 bytes/);
});
