import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { encodeContext, ENVELOPE_OVERHEAD, generateDek, open, seal } from './envelope.js';
import { CryptoError } from './errors.js';
import { arbContext, forEachTamper } from './test-helpers.js';

const isCrypto = (code?: string) => (e: unknown) => e instanceof CryptoError && (code === undefined || e.code === code);

test('seal/open round trip', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), arbContext, (plaintext, context) => {
      const dek = generateDek();
      const env = seal(dek, context, plaintext);
      assert.equal(env.length, plaintext.length + ENVELOPE_OVERHEAD);
      assert.deepEqual(open(dek, context, env), plaintext);
    }),
    { numRuns: 50 },
  );
});

test('layout matches docs/formats.md (independent HKDF + GCM)', () => {
  const dek = generateDek();
  const context = { recordId: utf8ToBytes('rec'), version: 7 };
  const env = seal(dek, context, utf8ToBytes('hello'));
  const ctx = concatBytes(utf8ToBytes('yilian/envelope/v1'), Uint8Array.of(0, 0, 0, 7, 0, 3), utf8ToBytes('rec'));
  assert.deepEqual(encodeContext(context), ctx);
  const key = hkdf(sha256, dek, utf8ToBytes('yilian/envelope/v1'), ctx, 32);
  const plain = gcm(key, env.subarray(1, 13), concatBytes(Uint8Array.of(1), ctx)).decrypt(env.subarray(13));
  assert.deepEqual(plain, utf8ToBytes('hello'));
});

test('fresh nonce per seal', () => {
  const dek = generateDek();
  const ctx = { recordId: utf8ToBytes('r'), version: 1 };
  const a = seal(dek, ctx, utf8ToBytes('same'));
  const b = seal(dek, ctx, utf8ToBytes('same'));
  assert.notDeepEqual(a.subarray(1, 13), b.subarray(1, 13));
});

test('every tampered byte, another context or another key fails with a CryptoError', () => {
  const dek = generateDek();
  const ctx = { recordId: utf8ToBytes('record-1'), version: 3 };
  const env = seal(dek, ctx, utf8ToBytes('{"resourceType":"Bundle"}'));
  forEachTamper(env, (t, i) => {
    assert.throws(() => open(dek, ctx, t), isCrypto(), `byte ${i}`);
  });
  assert.throws(() => open(dek, { recordId: utf8ToBytes('record-2'), version: 3 }, env), isCrypto('AUTH_FAILED'));
  assert.throws(() => open(dek, { recordId: utf8ToBytes('record-1'), version: 4 }, env), isCrypto('AUTH_FAILED'));
  assert.throws(() => open(generateDek(), ctx, env), /authentication failed/);
  assert.throws(() => open(dek, ctx, env.subarray(0, 20)), isCrypto('BAD_FORMAT'));
  assert.throws(() => open(dek, ctx, env.subarray(0, env.length - 1)), isCrypto('AUTH_FAILED'));
});

test('bad inputs are named', () => {
  assert.throws(
    () => seal(new Uint8Array(16), { recordId: Uint8Array.of(1), version: 0 }, new Uint8Array()),
    /data-encryption key must be 32 bytes/,
  );
  assert.throws(
    () => seal(generateDek(), { recordId: new Uint8Array(), version: 0 }, new Uint8Array()),
    /record id must be 1\.\.65535 bytes/,
  );
  assert.throws(
    () => seal(generateDek(), { recordId: Uint8Array.of(1), version: -1 }, new Uint8Array()),
    /u32 out of range/,
  );
});
