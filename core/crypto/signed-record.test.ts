import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { recoverAddress } from 'viem';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, concatBytes, hexToBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { CryptoError } from './errors.js';
import { generateIdentity, sign } from './identity.js';
import {
  decodeSignedRecord,
  SIGNED_RECORD_LABEL,
  signRecord,
  signRecordAs,
  verifySignedRecord,
} from './signed-record.js';
import { signDigest as nativeSignDigest } from '../../native/index.js';
import { forEachTamper } from './test-helpers.js';

const isCrypto = (code?: string, message?: RegExp) => (e: unknown) =>
  e instanceof CryptoError &&
  (code === undefined || e.code === code) &&
  (message === undefined || message.test(e.message));
const RECORD = utf8ToBytes('{"resourceType":"Bundle","type":"document"}');

interface SignedRecordVector {
  authorSecretKey: string;
  record: string;
  authorPublicKey: string;
  author: string;
  message: string;
  signature: string;
  signed: string;
}
const vectors = (
  JSON.parse(readFileSync(new URL('../../docs/vectors/records.json', import.meta.url), 'utf8')) as {
    signedRecord: SignedRecordVector[];
  }
).signedRecord;

test('sign, decode, verify round trip', () => {
  const author = generateIdentity();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (record) => {
      const bytes = signRecord(author.secretKey, record);
      assert.equal(bytes.length, 86 + record.length);
      const signed = decodeSignedRecord(bytes);
      assert.deepEqual(signed.author, author.address);
      assert.deepEqual(signed.record, record);
      verifySignedRecord(signed, author.publicKey);
    }),
    { numRuns: 40 },
  );
  assert.deepEqual(
    signRecord(author.secretKey, RECORD),
    signRecord(author.secretKey, RECORD),
    'RFC 6979: deterministic',
  );
});

test('a signature by another key fails with BAD_SIGNATURE naming the author', () => {
  const author = generateIdentity();
  const mallory = generateIdentity();
  const signed = decodeSignedRecord(signRecord(author.secretKey, RECORD));
  const authorHex = `0x${bytesToHex(author.address)}`;
  assert.throws(
    () => verifySignedRecord(signed, mallory.publicKey),
    isCrypto('BAD_SIGNATURE', new RegExp(`claims author ${authorHex}`)),
  );
  // Mallory's signature under the author's name, and the author's signature under Mallory's name.
  const forged = decodeSignedRecord(signRecord(mallory.secretKey, RECORD));
  assert.throws(
    () => verifySignedRecord({ ...forged, author: author.address }, author.publicKey),
    isCrypto('BAD_SIGNATURE', new RegExp(`not signed by its author ${authorHex}`)),
  );
  assert.throws(
    () => verifySignedRecord({ ...signed, author: mallory.address }, mallory.publicKey),
    isCrypto('BAD_SIGNATURE'),
  );
  // A valid signature over another label (here: none) is not a record signature.
  const unlabelled = sign(author.secretKey, RECORD);
  assert.throws(
    () => verifySignedRecord({ ...signed, signature: unlabelled }, author.publicKey),
    isCrypto('BAD_SIGNATURE'),
  );
});

test('every tampered byte fails to decode or to verify', () => {
  const author = generateIdentity();
  const bytes = signRecord(author.secretKey, RECORD);
  forEachTamper(bytes, (t, i) => {
    const expected = i === 0 ? 'BAD_FORMAT' : 'BAD_SIGNATURE';
    assert.throws(() => verifySignedRecord(decodeSignedRecord(t), author.publicKey), isCrypto(expected), `byte ${i}`);
  });
  for (const resized of [concatBytes(bytes, Uint8Array.of(0)), bytes.subarray(0, bytes.length - 1)]) {
    assert.throws(() => verifySignedRecord(decodeSignedRecord(resized), author.publicKey), isCrypto('BAD_SIGNATURE'));
  }
});

test('bad layouts and keys are named', () => {
  const author = generateIdentity();
  const bytes = signRecord(author.secretKey, new Uint8Array());
  assert.equal(bytes.length, 86);
  assert.deepEqual(decodeSignedRecord(bytes).record, new Uint8Array());
  assert.throws(
    () => decodeSignedRecord(bytes.subarray(0, 85)),
    isCrypto('BAD_FORMAT', /85 bytes is shorter than the 86-byte header/),
  );
  const v2 = bytes.slice();
  v2[0] = 0x02;
  assert.throws(() => decodeSignedRecord(v2), isCrypto('BAD_FORMAT', /unsupported version 0x2/));
  assert.throws(
    () => verifySignedRecord(decodeSignedRecord(bytes), author.address),
    isCrypto('BAD_LENGTH', /must be 64 bytes, got 20/),
  );
  assert.throws(() => signRecord(new Uint8Array(32), RECORD), isCrypto('BAD_SCALAR'));
});

test('independent check: viem recovers the author from keccak256(label ‖ record) with v + 27', async () => {
  const author = generateIdentity();
  const signed = decodeSignedRecord(signRecord(author.secretKey, RECORD));
  const hash = keccak_256(concatBytes(utf8ToBytes(SIGNED_RECORD_LABEL), RECORD));
  const sig = concatBytes(signed.signature.subarray(0, 64), Uint8Array.of((signed.signature[64] as number) + 27));
  const recovered = await recoverAddress({ hash: `0x${bytesToHex(hash)}`, signature: `0x${bytesToHex(sig)}` });
  assert.equal(recovered.toLowerCase(), `0x${bytesToHex(author.address)}`);
});

test('docs/vectors/records.json signedRecord: every vector recomputes and verifies', () => {
  assert.ok(vectors.length >= 3);
  for (const v of vectors) {
    const sk = hexToBytes(v.authorSecretKey);
    const record = hexToBytes(v.record);
    const publicKey = secp256k1.getPublicKey(sk, false).subarray(1);
    const message = concatBytes(utf8ToBytes(SIGNED_RECORD_LABEL), record);
    const signature = sign(sk, message);
    const recomputed: SignedRecordVector = {
      authorSecretKey: v.authorSecretKey,
      record: v.record,
      authorPublicKey: bytesToHex(publicKey),
      author: bytesToHex(keccak_256(publicKey).subarray(12)),
      message: bytesToHex(message),
      signature: bytesToHex(signature),
      signed: bytesToHex(signRecord(sk, record)),
    };
    assert.deepEqual(v, recomputed);
    assert.equal(v.signed, `01${v.author}${v.signature}${v.record}`);
    // noble's verifier directly, bypassing identity.ts's recovery path.
    assert.ok(
      secp256k1.verify(signature.subarray(0, 64), keccak_256(message), secp256k1.getPublicKey(sk, true), {
        prehash: false,
      }),
    );
    verifySignedRecord(decodeSignedRecord(hexToBytes(v.signed)), publicKey);
  }
});

test('signing through native signDigest gives the very bytes of the TypeScript signer', () => {
  for (let i = 0; i < 8; i++) {
    const author = generateIdentity();
    const record = randomBytes(1 + i * 97);
    assert.deepEqual(signRecordAs(author, record, nativeSignDigest), signRecord(author.secretKey, record));
  }
});
