/**
 * The napi binding from Node: `node --import tsx --test native/native.test.ts` (after
 * `native/build.sh`). Proving runs on the libuv pool; every failure is a rejected promise whose
 * message starts with the error code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { keccak_256 } from '@noble/hashes/sha3.js';
import * as native from './index.js';
import { generateIdentity, sign } from '../core/crypto/identity.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function randomCode(): string {
  const bytes = randomBytes(20);
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = 31; i >= 0; i--) out += CROCKFORD.charAt(Number((bits >> BigInt(5 * i)) & 31n));
  return [0, 8, 16, 24].map((at) => out.slice(at, at + 8)).join('-');
}

const sha256 = (data: string): Buffer => createHash('sha256').update(data).digest();

test('index.js, index.d.ts and the addon name the same API', () => {
  const addon = createRequire(import.meta.url)('./yilian-native.linux-x64-gnu.node') as Record<string, unknown>;
  const declared = [
    ...readFileSync(new URL('./index.d.ts', import.meta.url), 'utf8').matchAll(
      /^export declare (?:function|const) (\w+)/gm,
    ),
  ].map((m) => m[1]);
  const exported = Object.keys(native);
  assert.deepEqual(
    [...exported].sort(),
    Object.keys(addon).sort(),
    'index.js re-exports exactly what the addon exports',
  );
  assert.deepEqual([...declared].sort(), [...exported].sort(), 'index.d.ts declares exactly what index.js exports');
  // the one batch cap, sized so a full batch's padded trace stays at 8,192 rows (native/src/options.rs)
  assert.equal(native.MAX_BATCH_ITEMS, 994);
});

test('traceId is 32 bytes, deterministic, alias-insensitive, and rejects bad codes', () => {
  const code = randomCode();
  const id = native.traceId(code);
  assert.equal(id.length, 32);
  assert.deepEqual(native.traceId(code.toLowerCase().replaceAll('-', '')), id);
  assert.throws(() => native.traceId('U'.repeat(32)), /^Error: BAD_TRACE_CODE/);
  assert.throws(() => native.traceId(code.slice(0, 20)), /^Error: BAD_TRACE_CODE/);
});

test('a proof of the retired unsalted format (yl-stk-2) is refused by name', async () => {
  const old = JSON.parse(
    readFileSync(new URL('./tests/vectors/yl-stk-2-proof.json', import.meta.url), 'utf8'),
  ) as Record<'id' | 'ciphertextHash' | 'nonce' | 'proof', string>;
  const bytes = (key: keyof typeof old) => Buffer.from(old[key], 'hex');
  await assert.rejects(
    native.verify(bytes('id'), bytes('ciphertextHash'), bytes('nonce'), bytes('proof')),
    /^Error: WRONG_OPTIONS: proof is in the retired format yl-stk-2 \(unsalted Merkle leaves\); this verifier accepts yl-stk-3 proofs only$/,
  );
});

test('prove / verify one item, bound to ciphertext hash and nonce', async () => {
  const code = randomCode();
  const id = native.traceId(code);
  const hash = sha256('ciphertext');
  const nonce = sha256('block');
  const proof = await native.prove(code, hash, nonce);
  // 58 queries (proven ≥ 100 bits) and salted leaves: 46–50 KB, the count of distinct queries varies
  assert.ok(proof.length < 52 * 1024, `proof is ${proof.length} bytes`);
  await native.verify(id, hash, nonce, proof);
  await assert.rejects(native.verify(id, sha256('other'), nonce, proof), /^Error: PROOF_REJECTED/);
  await assert.rejects(native.verify(id, hash, sha256('other block'), proof), /^Error: PROOF_REJECTED/);
  await assert.rejects(native.verify(native.traceId(randomCode()), hash, nonce, proof), /^Error: PROOF_REJECTED/);
  await assert.rejects(native.verify(id, hash, nonce, proof.subarray(0, 200)), /^Error: MALFORMED_PROOF/);
  // byte 2 lies in the trace info, where winterfell asserts instead of failing: still a malformed proof
  for (const value of [1, 2, 3]) {
    const hostile = Buffer.from(proof);
    hostile[2] = value;
    await assert.rejects(native.verify(id, hash, nonce, hostile), /^Error: MALFORMED_PROOF/);
  }
  await assert.rejects(native.verify(id, hash.subarray(1), nonce, proof), /^Error: BAD_LENGTH/);
  await assert.rejects(native.prove(code, hash, nonce.subarray(2)), /^Error: BAD_LENGTH/);
  await assert.rejects(native.prove('not a code', hash, nonce), /^Error: BAD_TRACE_CODE/);
});

test('proving does not block the event loop', async () => {
  const codes = Array.from({ length: 64 }, randomCode);
  const hashes = codes.map((c) => sha256(c));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  await native.proveBatch(codes, hashes, sha256('n'));
  clearInterval(timer);
  assert.ok(ticks > 0, 'the timer never ran while the batch was proved');
});

test('batch proof covers every item and only them', async () => {
  const codes = Array.from({ length: 5 }, randomCode);
  const ids = codes.map((c) => native.traceId(c));
  const hashes = codes.map((c) => sha256(`c:${c}`));
  const nonce = sha256('batch block');
  const proof = await native.proveBatch(codes, hashes, nonce);
  await native.verifyBatch(ids, hashes, nonce, proof);
  await assert.rejects(native.verifyBatch(ids, [...hashes].reverse(), nonce, proof), /^Error: PROOF_REJECTED/);
  await assert.rejects(
    native.verifyBatch(ids.slice(1), hashes.slice(1), nonce, proof),
    /^Error: (PROOF_REJECTED|WRONG_OPTIONS)/,
  );
  await assert.rejects(native.verifyBatch(ids, hashes.slice(1), nonce, proof), /^Error: BAD_LENGTH/);
  await assert.rejects(native.proveBatch([], [], nonce), /^Error: BAD_BATCH_SIZE/);
});

test('reencrypt reproduces docs/vectors/pre.json byte for byte', async () => {
  const url = new URL('../docs/vectors/pre.json', import.meta.url);
  const cases = JSON.parse(readFileSync(url, 'utf8')) as Array<{ c1: string; rk: string; reencrypted: string }>;
  assert.ok(cases.length > 0);
  for (const v of cases) {
    const out = await native.reencrypt(Buffer.from(v.c1, 'hex'), Buffer.from(v.rk, 'hex'));
    assert.equal(out.toString('hex'), v.reencrypted);
  }
});

test('reencrypt rejects the identity and bad lengths', async () => {
  const identity = Buffer.alloc(48);
  identity[0] = 0xc0;
  const g2 = Buffer.alloc(96);
  g2[0] = 0xc0;
  await assert.rejects(native.reencrypt(identity, g2), /^Error: BAD_POINT/);
  await assert.rejects(native.reencrypt(Buffer.alloc(47), g2), /^Error: BAD_LENGTH/);
});

test('recoverSigner gives the address TypeScript recovers, and refuses what it refuses', () => {
  const identity = generateIdentity();
  const message = randomBytes(100);
  const signature = sign(identity.secretKey, message);
  assert.deepEqual(native.recoverSigner(keccak_256(message), signature), Buffer.from(identity.address));
  const badV = Uint8Array.from(signature);
  badV[64] = 2;
  assert.throws(() => native.recoverSigner(keccak_256(message), badV), /BAD_SIGNATURE: recovery byte/);
  const highS = Uint8Array.from(signature);
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const s = BigInt(`0x${Buffer.from(signature.subarray(32, 64)).toString('hex')}`);
  highS.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 32);
  highS.set([(signature[64] ?? 0) ^ 1], 64);
  assert.throws(() => native.recoverSigner(keccak_256(message), highS), /not low-s/);
  assert.throws(() => native.recoverSigner(new Uint8Array(31), signature), /digest must be 32 bytes/);
});

test('signDigest makes the same bytes as the TypeScript signer (RFC 6979, low-s, r‖s‖v)', () => {
  for (let i = 0; i < 20; i++) {
    const identity = generateIdentity();
    const message = randomBytes(1 + i * 7);
    const ours = native.signDigest(keccak_256(message), identity.secretKey);
    assert.deepEqual(ours, Buffer.from(sign(identity.secretKey, message)));
    assert.deepEqual(native.recoverSigner(keccak_256(message), ours), Buffer.from(identity.address));
  }
  assert.throws(() => native.signDigest(new Uint8Array(32), new Uint8Array(32)), /BAD_SCALAR/);
});
