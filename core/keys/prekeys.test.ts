import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDek } from '../crypto/envelope.js';
import { initPre } from '../crypto/bls.js';
import { CryptoError } from '../crypto/errors.js';
import { generateIdentity } from '../crypto/identity.js';
import { preDecrypt, preDelegatorPublicKey, preEncrypt } from '../crypto/pre.js';
import {
  createPrekeyBatch,
  decodePrekeyBundle,
  encodePrekeyBundle,
  PrekeyPool,
  verifyPrekeyBundle,
  type SignedPrekey,
} from './prekeys.js';

const code = (c: string) => (e: unknown) => e instanceof CryptoError && e.code === c;

before(() => initPre());

test('a batch verifies, round-trips through bytes, and its secrets match its public keys', () => {
  const patient = generateIdentity();
  const { bundle, secrets } = createPrekeyBatch(patient.secretKey, 100, 5);
  assert.deepEqual(bundle.owner, patient.address);
  assert.deepEqual(
    bundle.prekeys.map((p) => p.index),
    [100, 101, 102, 103, 104],
  );
  verifyPrekeyBundle(bundle, patient.address);
  const bytes = encodePrekeyBundle(bundle);
  assert.equal(bytes.length, 1 + 20 + 4 + 5 * (4 + 48 + 65));
  const decoded = decodePrekeyBundle(bytes);
  assert.deepEqual(decoded, bundle);
  verifyPrekeyBundle(decoded, patient.address);
  secrets.forEach((s, i) => assert.deepEqual(preDelegatorPublicKey(s.secretKey), bundle.prekeys[i]?.publicKey));
});

test('forged, re-attributed, swapped or duplicated prekeys are rejected', () => {
  const patient = generateIdentity();
  const mallory = generateIdentity();
  const { bundle } = createPrekeyBatch(patient.secretKey, 0, 3);
  assert.throws(() => verifyPrekeyBundle(bundle, mallory.address), code('BAD_SIGNATURE'));
  const [evil] = createPrekeyBatch(mallory.secretKey, 0, 1).bundle.prekeys as [SignedPrekey];
  assert.throws(
    () => verifyPrekeyBundle({ owner: patient.address, prekeys: [evil] }, patient.address),
    /prekey 0 is not signed by 0x/,
  );
  const [p0, p1] = bundle.prekeys as [SignedPrekey, SignedPrekey];
  assert.throws(
    () => verifyPrekeyBundle({ owner: patient.address, prekeys: [{ ...p0, index: 7 }] }, patient.address),
    code('BAD_SIGNATURE'),
  );
  assert.throws(
    () =>
      verifyPrekeyBundle({ owner: patient.address, prekeys: [{ ...p0, publicKey: p1.publicKey }] }, patient.address),
    code('BAD_SIGNATURE'),
  );
  assert.throws(
    () => verifyPrekeyBundle({ owner: patient.address, prekeys: [p0, p0] }, patient.address),
    /index 0 twice/,
  );
  const bytes = encodePrekeyBundle(bundle);
  assert.throws(() => decodePrekeyBundle(bytes.subarray(0, bytes.length - 1)), code('BAD_FORMAT'));
});

test('the pool hands out each prekey once and then fails with an actionable error', () => {
  const patient = generateIdentity();
  const { bundle, secrets } = createPrekeyBatch(patient.secretKey, 0, 2);
  const pool = new PrekeyPool(bundle, patient.address);
  const first = pool.claim();
  const second = pool.claim();
  assert.notEqual(first.index, second.index);
  assert.equal(pool.remaining, 0);
  assert.throws(
    () => pool.claim(),
    (e: unknown) => code('PREKEYS_EXHAUSTED')(e) && /publish a new prekey batch/.test(String(e)),
  );
  // Persisted state survives a restart: the resumed pool does not reuse index 0.
  const resumed = new PrekeyPool(bundle, patient.address, [first.index]);
  assert.equal(resumed.claim().index, second.index);
  assert.throws(() => resumed.claim(), code('PREKEYS_EXHAUSTED'));
  assert.throws(() => new PrekeyPool(bundle, generateIdentity().address), code('BAD_SIGNATURE'));
  // End to end: a record wrapped to a claimed prekey opens with the matching private half.
  const dek = generateDek();
  const context = { recordId: Uint8Array.of(9), version: 1 };
  const ct = preEncrypt(first.publicKey, dek, context);
  const secret = secrets.find((s) => s.index === first.index);
  assert.ok(secret, 'the batch kept the private half of the claimed prekey');
  assert.deepEqual(preDecrypt(secret.secretKey, ct, context), dek);
});
