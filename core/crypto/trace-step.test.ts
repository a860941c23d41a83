import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { encodeContext, seal } from './envelope.js';
import { CryptoError } from './errors.js';
import { generateIdentity, sign } from './identity.js';
import {
  generateTraceCode,
  normalizeTraceCode,
  printedTraceCode,
  openTraceStep,
  sealTraceStep,
  sealTraceStepAs,
  sealTraceStepDeterministic,
  TRACE_STEP_LABEL,
  traceStepKey,
  verifyTraceStep,
} from './trace-step.js';
import { forEachTamper } from './test-helpers.js';
import { signDigest as nativeSignDigest, traceId } from '../../native/index.js';

const isCrypto = (code?: string, message?: RegExp) => (e: unknown) =>
  e instanceof CryptoError &&
  (code === undefined || e.code === code) &&
  (message === undefined || message.test(e.message));
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const randomCode = () => Array.from(randomBytes(32), (b) => CROCKFORD[b % 32]).join('');
const DATA = utf8ToBytes('{"event":"shipped","to":"pharmacy-7"}');

interface TraceStepVector {
  code: string;
  id: string;
  signerSecretKey: string;
  data: string;
  nonce: string;
  normalizedCode: string;
  stepKey: string;
  signerPublicKey: string;
  signer: string;
  message: string;
  signature: string;
  plaintext: string;
  envelopeContext: string;
  ciphertext: string;
}
const vectors = (
  JSON.parse(readFileSync(new URL('../../docs/vectors/records.json', import.meta.url), 'utf8')) as {
    traceStep: TraceStepVector[];
  }
).traceStep;

/** Returns the CryptoError `fn` throws, failing the test if it throws nothing or something else. */
function caught(fn: () => unknown): CryptoError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CryptoError, String(e));
    return e;
  }
  assert.fail('expected a CryptoError');
}

test('seal, open, verify round trip', () => {
  const signer = generateIdentity();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
      const code = randomCode();
      const id = randomBytes(32);
      const step = openTraceStep(code, id, sealTraceStep(code, id, signer.secretKey, data));
      assert.deepEqual(step.signer, signer.address);
      assert.deepEqual(step.data, data);
      verifyTraceStep(step, id, signer.publicKey);
    }),
    { numRuns: 30 },
  );
});

test('every accepted spelling of a code gives the same key', () => {
  const code = randomCode();
  const id = randomBytes(32);
  const key = traceStepKey(code, id);
  const spellings = [
    printedTraceCode(code),
    code.toLowerCase(),
    printedTraceCode(code).toLowerCase(),
    ` ${code.match(/.{4}/g)?.join(' ')}\n`,
    `${code.slice(0, 5)}\t-${code.slice(5)}`,
  ];
  for (const spelling of spellings) {
    assert.equal(normalizeTraceCode(spelling), code);
    assert.deepEqual(traceStepKey(spelling, id), key);
  }
  const c = sealTraceStep(printedTraceCode(code).toLowerCase(), id, generateIdentity().secretKey, DATA);
  assert.deepEqual(openTraceStep(code, id, c).data, DATA);
  assert.notDeepEqual(traceStepKey(code, randomBytes(32)), key, 'the key depends on the id');
});

test('codes with forbidden symbols or the wrong length are refused without echoing the code', () => {
  const code = randomCode();
  const bad: [string, RegExp][] = [];
  for (const [i, ch] of ['I', 'L', 'O', 'U', 'i', 'l', 'o', 'u', '_', '.', 'é', 'ı', 'ſ', 'Ａ', '０'].entries()) {
    const at = i % 32;
    bad.push([code.slice(0, at) + ch + code.slice(at + 1), new RegExp(`symbol ${at + 1} is not Crockford base32`)]);
  }
  bad.push(
    [code.slice(0, 31), /must have 32 symbols, got 31/],
    [code + '0', /got 33/],
    ['', /got 0/],
    ['----', /got 0/],
  );
  for (const [text, message] of bad) {
    const calls = [
      () => normalizeTraceCode(text),
      () => traceStepKey(text, new Uint8Array(32)),
      () => sealTraceStep(text, new Uint8Array(32), generateIdentity().secretKey, DATA),
    ];
    for (const fn of calls) {
      const e = caught(fn);
      assert.equal(e.code, 'BAD_FORMAT');
      assert.match(e.message, message);
      for (const secret of [text, text.toUpperCase(), code, code.slice(0, 8), code.slice(-8)]) {
        if (secret.length >= 4) assert.ok(!e.message.includes(secret), `message leaks the code: ${e.message}`);
      }
    }
  }
});

test('wrong code, wrong id and every tampered byte fail with a CryptoError', () => {
  const code = randomCode();
  const id = randomBytes(32);
  const c = sealTraceStep(code, id, generateIdentity().secretKey, DATA);
  forEachTamper(c, (t, i) => {
    assert.throws(() => openTraceStep(code, id, t), isCrypto(i === 0 ? 'BAD_FORMAT' : 'AUTH_FAILED'), `byte ${i}`);
  });
  assert.throws(() => openTraceStep(randomCode(), id, c), isCrypto('AUTH_FAILED'));
  assert.throws(() => openTraceStep(code, randomBytes(32), c), isCrypto('AUTH_FAILED'));
  assert.throws(() => openTraceStep(code, id.subarray(0, 31), c), isCrypto('BAD_LENGTH', /trace id must be 32 bytes/));
  assert.throws(() => openTraceStep(code, id, c.subarray(0, 28)), isCrypto('BAD_FORMAT'));
});

test('a step signed by another key, for another id, or with other data fails to verify', () => {
  const code = randomCode();
  const id = randomBytes(32);
  const signer = generateIdentity();
  const other = generateIdentity();
  const step = openTraceStep(code, id, sealTraceStep(code, id, signer.secretKey, DATA));
  const signerHex = `0x${bytesToHex(signer.address)}`;
  assert.throws(
    () => verifyTraceStep(step, id, other.publicKey),
    isCrypto('BAD_SIGNATURE', new RegExp(`claims signer ${signerHex}`)),
  );
  const forged = openTraceStep(code, id, sealTraceStep(code, id, other.secretKey, DATA));
  assert.throws(
    () => verifyTraceStep({ ...forged, signer: signer.address }, id, signer.publicKey),
    isCrypto('BAD_SIGNATURE', new RegExp(`not signed by its signer ${signerHex}`)),
  );
  assert.throws(() => verifyTraceStep(step, randomBytes(32), signer.publicKey), isCrypto('BAD_SIGNATURE'));
  assert.throws(
    () => verifyTraceStep({ ...step, data: utf8ToBytes('{"event":"recalled"}') }, id, signer.publicKey),
    isCrypto('BAD_SIGNATURE'),
  );
  assert.throws(() => verifyTraceStep(step, id, signer.address), isCrypto('BAD_LENGTH'));
});

test('a code holder cannot move a signed step to another trace', () => {
  // Anyone with the code can build ciphertexts; the signature over the id is what pins a step.
  const [codeA, codeB] = [randomCode(), randomCode()];
  const [idA, idB] = [randomBytes(32), randomBytes(32)];
  const signer = generateIdentity();
  const signature = sign(signer.secretKey, concatBytes(utf8ToBytes(TRACE_STEP_LABEL), idA, DATA));
  const plaintext = concatBytes(Uint8Array.of(1), signer.address, signature, DATA);
  const sealFor = (code: string, id: Uint8Array) =>
    seal(traceStepKey(code, id), { recordId: id, version: 1 }, plaintext);
  verifyTraceStep(openTraceStep(codeA, idA, sealFor(codeA, idA)), idA, signer.publicKey);
  const moved = openTraceStep(codeB, idB, sealFor(codeB, idB));
  assert.throws(() => verifyTraceStep(moved, idB, signer.publicKey), isCrypto('BAD_SIGNATURE'));
});

test('bad plaintext layouts inside a valid envelope are named', () => {
  const code = randomCode();
  const id = randomBytes(32);
  const key = traceStepKey(code, id);
  const wrap = (plaintext: Uint8Array) => seal(key, { recordId: id, version: 1 }, plaintext);
  assert.throws(
    () => openTraceStep(code, id, wrap(new Uint8Array(85))),
    isCrypto('BAD_FORMAT', /85 bytes is shorter than the 86-byte header/),
  );
  const v2 = new Uint8Array(90);
  v2[0] = 0x02;
  assert.throws(() => openTraceStep(code, id, wrap(v2)), isCrypto('BAD_FORMAT', /trace step: unsupported version 0x2/));
  const otherVersion = seal(key, { recordId: id, version: 2 }, new Uint8Array(86));
  assert.throws(() => openTraceStep(code, id, otherVersion), isCrypto('AUTH_FAILED'));
});

test('independent check: node:crypto HKDF and AES-GCM decrypt a step', () => {
  const code = randomCode();
  const id = randomBytes(32);
  const signer = generateIdentity();
  const c = sealTraceStep(printedTraceCode(code), id, signer.secretKey, DATA);
  const stepKey = new Uint8Array(hkdfSync('sha256', Buffer.from(code, 'ascii'), TRACE_STEP_LABEL, id, 32));
  assert.deepEqual(traceStepKey(code, id), stepKey);
  const ctx = concatBytes(utf8ToBytes('yilian/envelope/v1'), Uint8Array.of(0, 0, 0, 1, 0, 32), id);
  const envelopeKey = new Uint8Array(hkdfSync('sha256', stepKey, 'yilian/envelope/v1', ctx, 32));
  const decipher = createDecipheriv('aes-256-gcm', envelopeKey, c.subarray(1, 13));
  decipher.setAAD(concatBytes(Uint8Array.of(0x01), ctx));
  decipher.setAuthTag(c.subarray(c.length - 16));
  const plaintext = concatBytes(decipher.update(c.subarray(13, c.length - 16)), decipher.final());
  assert.equal(plaintext[0], 0x01);
  assert.deepEqual(plaintext.subarray(1, 21), signer.address);
  assert.deepEqual(plaintext.subarray(86), DATA);
  const digest = keccak_256(concatBytes(utf8ToBytes(TRACE_STEP_LABEL), id, DATA));
  const compressed = secp256k1.getPublicKey(signer.secretKey, true);
  assert.ok(secp256k1.verify(plaintext.subarray(21, 85), digest, compressed, { prehash: false }));
});

test('docs/vectors/records.json traceStep: every vector recomputes, opens and verifies', () => {
  assert.ok(vectors.length >= 3);
  for (const v of vectors) {
    const inputs = [v.id, v.signerSecretKey, v.data, v.nonce].map(hexToBytes);
    const [id, sk, data, nonce] = inputs as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const publicKey = secp256k1.getPublicKey(sk, false).subarray(1);
    const signer = keccak_256(publicKey).subarray(12);
    const message = concatBytes(utf8ToBytes(TRACE_STEP_LABEL), id, data);
    const signature = sign(sk, message);
    const normalizedCode = v.code.replace(/[-\s]/g, '').toUpperCase();
    const recomputed: TraceStepVector = {
      code: v.code,
      id: v.id,
      signerSecretKey: v.signerSecretKey,
      data: v.data,
      nonce: v.nonce,
      normalizedCode,
      stepKey: bytesToHex(hkdf(sha256, utf8ToBytes(normalizedCode), utf8ToBytes(TRACE_STEP_LABEL), id, 32)),
      signerPublicKey: bytesToHex(publicKey),
      signer: bytesToHex(signer),
      message: bytesToHex(message),
      signature: bytesToHex(signature),
      plaintext: bytesToHex(concatBytes(Uint8Array.of(0x01), signer, signature, data)),
      envelopeContext: bytesToHex(encodeContext({ recordId: id, version: 1 })),
      ciphertext: bytesToHex(sealTraceStepDeterministic(v.code, id, sk, data, nonce)),
    };
    assert.deepEqual(v, recomputed);
    assert.equal(normalizeTraceCode(v.code), v.normalizedCode);
    assert.deepEqual(traceStepKey(v.code, id), hexToBytes(v.stepKey));
    assert.ok(v.ciphertext.startsWith(`01${v.nonce}`));
    const step = openTraceStep(v.normalizedCode, id, hexToBytes(v.ciphertext));
    assert.equal(bytesToHex(step.data), v.data);
    verifyTraceStep(step, id, publicKey);
  }
});

test('a step sealed through native signDigest opens and carries the TypeScript signer’s very signature', () => {
  const signer = generateIdentity();
  const code = generateTraceCode();
  const id = traceId(code);
  const data = utf8ToBytes('{"event":"shipped"}');
  const step = openTraceStep(code, id, sealTraceStepAs(signer, code, id, data, nativeSignDigest));
  verifyTraceStep(step, id, signer.publicKey);
  const reference = openTraceStep(code, id, sealTraceStep(code, id, signer.secretKey, data));
  assert.deepEqual(step.signature, reference.signature, 'RFC 6979 makes both signers produce the same bytes');
});

test('generated trace codes are 32 canonical symbols and differ', () => {
  const codes = new Set(Array.from({ length: 200 }, () => generateTraceCode()));
  assert.equal(codes.size, 200);
  for (const code of codes) assert.equal(normalizeTraceCode(code), code);
});
