/**
 * Writes test/vectors/trace-proof.json: real proofs from native/ (one item, and a batch of three)
 * for the C++ precompile's tests. `node --import tsx precompiled/test/make-trace-vector.ts`;
 * proofs are randomised, so rerunning changes the bytes but not what they prove.
 */
import { writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import * as native from '../../native/index.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const code = () => Array.from(randomBytes(32), (byte) => CROCKFORD[byte % 32]).join('');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const sha = (text: string) => createHash('sha256').update(text).digest();

const nonce = sha('yilian precompile vector nonce');
const single = { code: code(), ciphertextHash: sha('one step') };
const batch = [0, 1, 2].map((i) => ({ code: code(), ciphertextHash: sha(`batch step ${i}`) }));
const vector = {
  single: {
    id: hex(native.traceId(single.code)),
    ciphertextHash: hex(single.ciphertextHash),
    nonce: hex(nonce),
    proof: hex(await native.prove(single.code, single.ciphertextHash, nonce)),
  },
  batch: {
    ids: batch.map((item) => hex(native.traceId(item.code))),
    ciphertextHashes: batch.map((item) => hex(item.ciphertextHash)),
    nonce: hex(nonce),
    proof: hex(
      await native.proveBatch(
        batch.map((item) => item.code),
        batch.map((item) => item.ciphertextHash),
        nonce,
      ),
    ),
  },
};
writeFileSync(new URL('./vectors/trace-proof.json', import.meta.url), `${JSON.stringify(vector, null, 2)}\n`);
