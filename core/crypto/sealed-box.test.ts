import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { CryptoError } from './errors.js';
import { generateIdentity } from './identity.js';
import { openSealed, SEALED_BOX_LABEL, SEALED_BOX_OVERHEAD, sealTo, sealToDeterministic } from './sealed-box.js';
import { forEachTamper } from './test-helpers.js';

const isCrypto = (code?: string, message?: RegExp) => (e: unknown) =>
  e instanceof CryptoError &&
  (code === undefined || e.code === code) &&
  (message === undefined || message.test(e.message));
const INBOX = utf8ToBytes('yilian/inbox/v1');
const sec1 = (publicKey: Uint8Array) => concatBytes(Uint8Array.of(0x04), publicKey);

interface SealedBoxVector {
  recipientSecretKey: string;
  ephemeralSecretKey: string;
  nonce: string;
  context: string;
  plaintext: string;
  recipientPublicKey: string;
  ephemeralPublicKey: string;
  sharedX: string;
  hkdfInfo: string;
  key: string;
  associatedData: string;
  sealed: string;
}
const vectors = (
  JSON.parse(readFileSync(new URL('../../docs/vectors/records.json', import.meta.url), 'utf8')) as {
    sealedBox: SealedBoxVector[];
  }
).sealedBox;

/** An x-coordinate with no point on the curve: 02‖x must not decompress. */
function offCurveX(): Uint8Array {
  for (let x = 0; ; x++) {
    const bytes = hexToBytes(x.toString(16).padStart(64, '0'));
    try {
      secp256k1.Point.fromBytes(concatBytes(Uint8Array.of(0x02), bytes));
    } catch {
      return bytes;
    }
  }
}

test('sealTo/openSealed round trip', () => {
  const me = generateIdentity();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 40 }), (plaintext, context) => {
      const box = sealTo(me.publicKey, plaintext, context);
      assert.equal(box.length, plaintext.length + SEALED_BOX_OVERHEAD);
      assert.equal(box[0], 0x01);
      assert.deepEqual(openSealed(me.secretKey, box, context), plaintext);
    }),
    { numRuns: 40 },
  );
});

test('a fresh ephemeral key and nonce per box', () => {
  const me = generateIdentity();
  const a = sealTo(me.publicKey, utf8ToBytes('same'), INBOX);
  const b = sealTo(me.publicKey, utf8ToBytes('same'), INBOX);
  assert.notDeepEqual(a.subarray(1, 34), b.subarray(1, 34));
  assert.notDeepEqual(a.subarray(34, 46), b.subarray(34, 46));
});

test('wrong key, wrong context and every tampered byte fail with a CryptoError', () => {
  const me = generateIdentity();
  const box = sealTo(me.publicKey, utf8ToBytes('{"grant":"record-1"}'), INBOX);
  const codes = new Set<string>();
  forEachTamper(box, (t, i) => {
    assert.throws(
      () => openSealed(me.secretKey, t, INBOX),
      (e: unknown) => {
        assert.ok(e instanceof CryptoError, `byte ${i}`);
        codes.add(e.code);
        return true;
      },
    );
  });
  assert.deepEqual([...codes].sort(), ['AUTH_FAILED', 'BAD_FORMAT', 'BAD_POINT']);
  assert.throws(
    () => openSealed(generateIdentity().secretKey, box, INBOX),
    isCrypto('AUTH_FAILED', /sealed box: authentication failed/),
  );
  assert.throws(() => openSealed(me.secretKey, box, utf8ToBytes('yilian/inbox/v2')), isCrypto('AUTH_FAILED'));
  assert.throws(() => openSealed(me.secretKey, box, new Uint8Array()), isCrypto('AUTH_FAILED'));
  assert.throws(() => openSealed(me.secretKey, box, concatBytes(INBOX, Uint8Array.of(0))), isCrypto('AUTH_FAILED'));
  assert.throws(() => openSealed(me.secretKey, box.subarray(0, box.length - 1), INBOX), isCrypto('AUTH_FAILED'));
  assert.throws(() => openSealed(me.secretKey, concatBytes(box, Uint8Array.of(0)), INBOX), isCrypto('AUTH_FAILED'));
});

test('the negated ephemeral key has the same ECDH x, and still fails (HKDF info binds the compressed key)', () => {
  const me = generateIdentity();
  const box = sealTo(me.publicKey, utf8ToBytes('x'), INBOX);
  const negated = box.slice();
  negated[1] = (negated[1] as number) ^ 0x01;
  const x = (eph: Uint8Array) => secp256k1.getSharedSecret(me.secretKey, eph).subarray(1);
  assert.deepEqual(x(negated.subarray(1, 34)), x(box.subarray(1, 34)));
  assert.throws(() => openSealed(me.secretKey, negated, INBOX), isCrypto('AUTH_FAILED'));
});

test('bad layouts are named', () => {
  const me = generateIdentity();
  const box = sealTo(me.publicKey, utf8ToBytes('hi'), INBOX);
  assert.throws(
    () => openSealed(me.secretKey, box.subarray(0, SEALED_BOX_OVERHEAD - 1), INBOX),
    isCrypto('BAD_FORMAT', /shorter than the 62-byte minimum/),
  );
  const v2 = box.slice();
  v2[0] = 0x02;
  assert.throws(() => openSealed(me.secretKey, v2, INBOX), isCrypto('BAD_FORMAT', /unsupported version 0x2/));
  const uncompressed = box.slice();
  uncompressed[1] = 0x04;
  assert.throws(() => openSealed(me.secretKey, uncompressed, INBOX), isCrypto('BAD_FORMAT', /not a compressed point/));
  const offCurve = box.slice();
  offCurve.set(offCurveX(), 2);
  assert.throws(
    () => openSealed(me.secretKey, offCurve, INBOX),
    isCrypto('BAD_POINT', /ephemeral public key is not a point on secp256k1/),
  );
  assert.throws(() => openSealed(new Uint8Array(32), box, INBOX), isCrypto('BAD_SCALAR'));
  assert.throws(() => openSealed(new Uint8Array(31), box, INBOX), isCrypto('BAD_LENGTH'));
});

test('recipient keys off the curve and bad deterministic inputs are refused', () => {
  const me = generateIdentity();
  const notOnCurve = me.publicKey.slice();
  notOnCurve[63] = (notOnCurve[63] as number) ^ 0x01;
  assert.throws(
    () => sealTo(notOnCurve, utf8ToBytes('x'), INBOX),
    isCrypto('BAD_POINT', /recipient public key is not a point on secp256k1/),
  );
  assert.throws(() => sealTo(new Uint8Array(64), utf8ToBytes('x'), INBOX), isCrypto('BAD_POINT'));
  assert.throws(
    () => sealTo(sec1(me.publicKey), utf8ToBytes('x'), INBOX),
    isCrypto('BAD_LENGTH', /must be 64 bytes, got 65/),
  );
  const order = hexToBytes(secp256k1.Point.CURVE().n.toString(16).padStart(64, '0'));
  assert.throws(
    () => sealToDeterministic(me.publicKey, utf8ToBytes('x'), INBOX, new Uint8Array(32), new Uint8Array(12)),
    isCrypto('BAD_SCALAR'),
  );
  assert.throws(
    () => sealToDeterministic(me.publicKey, utf8ToBytes('x'), INBOX, order, new Uint8Array(12)),
    isCrypto('BAD_SCALAR'),
  );
  const ephemeral = secp256k1.utils.randomSecretKey();
  assert.throws(
    () => sealToDeterministic(me.publicKey, utf8ToBytes('x'), INBOX, ephemeral, new Uint8Array(11)),
    isCrypto('BAD_LENGTH'),
  );
});

test('independent node:crypto ECDH + HKDF + AES-GCM opens our box, and ours opens theirs', () => {
  const me = generateIdentity();
  const plaintext = utf8ToBytes('{"inbox":"item"}');
  const box = sealTo(me.publicKey, plaintext, INBOX);
  const eph = box.subarray(1, 34);
  const ecdh = createECDH('secp256k1');
  ecdh.setPrivateKey(me.secretKey);
  const info = concatBytes(eph, me.publicKey);
  const key = new Uint8Array(hkdfSync('sha256', ecdh.computeSecret(eph), utf8ToBytes(SEALED_BOX_LABEL), info, 32));
  const decipher = createDecipheriv('aes-256-gcm', key, box.subarray(34, 46));
  decipher.setAAD(concatBytes(Uint8Array.of(0x01), INBOX));
  decipher.setAuthTag(box.subarray(box.length - 16));
  const opened = concatBytes(decipher.update(box.subarray(46, box.length - 16)), decipher.final());
  assert.deepEqual(opened, plaintext);

  const sender = createECDH('secp256k1');
  sender.generateKeys();
  const senderEph = new Uint8Array(sender.getPublicKey(null, 'compressed'));
  const theirInfo = concatBytes(senderEph, me.publicKey);
  const theirKey = hkdfSync(
    'sha256',
    sender.computeSecret(sec1(me.publicKey)),
    utf8ToBytes(SEALED_BOX_LABEL),
    theirInfo,
    32,
  );
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', new Uint8Array(theirKey), nonce);
  cipher.setAAD(concatBytes(Uint8Array.of(0x01), INBOX));
  const body = concatBytes(cipher.update(plaintext), cipher.final(), cipher.getAuthTag());
  assert.deepEqual(
    openSealed(me.secretKey, concatBytes(Uint8Array.of(0x01), senderEph, nonce, body), INBOX),
    plaintext,
  );
});

test('docs/vectors/records.json sealedBox: every vector recomputes and opens', () => {
  assert.ok(vectors.length >= 3);
  for (const v of vectors) {
    const inputs = [v.recipientSecretKey, v.ephemeralSecretKey, v.nonce, v.context, v.plaintext].map(hexToBytes);
    const [rsk, esk, nonce, context, plaintext] = inputs as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    const recipientPublicKey = secp256k1.getPublicKey(rsk, false).subarray(1);
    const ephemeralPublicKey = secp256k1.getPublicKey(esk, true);
    const sharedX = secp256k1.getSharedSecret(esk, sec1(recipientPublicKey)).subarray(1);
    const hkdfInfo = concatBytes(ephemeralPublicKey, recipientPublicKey);
    const key = hkdf(sha256, sharedX, utf8ToBytes(SEALED_BOX_LABEL), hkdfInfo, 32);
    const recomputed: SealedBoxVector = {
      recipientSecretKey: v.recipientSecretKey,
      ephemeralSecretKey: v.ephemeralSecretKey,
      nonce: v.nonce,
      context: v.context,
      plaintext: v.plaintext,
      recipientPublicKey: bytesToHex(recipientPublicKey),
      ephemeralPublicKey: bytesToHex(ephemeralPublicKey),
      sharedX: bytesToHex(sharedX),
      hkdfInfo: bytesToHex(hkdfInfo),
      key: bytesToHex(key),
      associatedData: bytesToHex(concatBytes(Uint8Array.of(0x01), context)),
      sealed: bytesToHex(sealToDeterministic(recipientPublicKey, plaintext, context, esk, nonce)),
    };
    assert.deepEqual(v, recomputed);
    assert.ok(v.sealed.startsWith(`01${v.ephemeralPublicKey}${v.nonce}`));
    assert.deepEqual(openSealed(rsk, hexToBytes(v.sealed), context), plaintext);
    // node:crypto's ECDH from the recipient's side must agree on the shared x-coordinate.
    const ecdh = createECDH('secp256k1');
    ecdh.setPrivateKey(rsk);
    assert.equal(ecdh.computeSecret(ephemeralPublicKey).toString('hex'), v.sharedX);
  }
  // Vector 0: recipient d = 1, ephemeral e = 2, so the shared point is 2G.
  assert.equal(vectors[0]?.sharedX, 'c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5');
});
