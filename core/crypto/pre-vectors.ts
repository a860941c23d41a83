import * as mcl from 'mcl-wasm';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { getCurve } from './bls.js';
import { decodeScalar, G1_LENGTH, GT_LENGTH } from './bls-codec.js';
import { u32be } from './bytes.js';
import { encodeContext } from './envelope.js';
import {
  KEM_SALT,
  kemKey,
  preDelegateePublicKey,
  preDelegatorPublicKey,
  preEncryptDeterministic,
  preReencrypt,
  preRekey,
} from './pre.js';

/**
 * The deterministic AFGH vectors of docs/vectors/pre.json: inputs are fixed, every other field is
 * computed here, so the test can recompute the file and the Rust side can reproduce it.
 */
export interface PreVectorInput {
  readonly a: string;
  readonly b: string;
  readonly r: string;
  readonly dek: string;
  readonly nonce: string;
  readonly recordId: string;
  /** u32 big-endian, as hex like every other field. */
  readonly version: string;
}

export type PreVector = PreVectorInput & {
  readonly pkA: string;
  readonly pkB: string;
  readonly c1: string;
  readonly rk: string;
  readonly zr: string;
  readonly reencrypted: string;
  readonly hkdfSalt: string;
  readonly hkdfInfo: string;
  readonly kemKey: string;
  readonly envelopeContext: string;
  readonly envelope: string;
  readonly ciphertext: string;
  readonly reencryptedCiphertext: string;
};

const scalarHex = (n: bigint): string => n.toString(16).padStart(64, '0');
const u32Hex = (n: number): string => bytesToHex(u32be(n));

export const PRE_VECTOR_INPUTS: readonly PreVectorInput[] = [
  {
    a: scalarHex(2n),
    b: scalarHex(3n),
    r: scalarHex(5n),
    dek: '00'.repeat(32),
    nonce: '00'.repeat(12),
    recordId: '01',
    version: '00000000',
  },
  {
    a: scalarHex(7n),
    b: scalarHex(11n),
    r: scalarHex(13n),
    dek: '11'.repeat(32),
    nonce: '000102030405060708090a0b',
    recordId: 'aa'.repeat(32),
    version: '00000001',
  },
  {
    // r − 1 for a and b exercises the top of the scalar range.
    a: '73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000',
    b: '73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000',
    r: scalarHex(1n),
    dek: 'ff'.repeat(32),
    nonce: 'ff'.repeat(12),
    recordId: bytesToHex(utf8ToBytes('record-42')),
    version: u32Hex(42),
  },
  {
    a: '1c3f4c1d2e5b6a79880a1b2c3d4e5f60718293a4b5c6d7e8f901122334455667',
    b: '2a0b1c2d3e4f5061728394a5b6c7d8e9fa0b1c2d3e4f5061728394a5b6c7d8e9',
    r: '0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0',
    dek: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    nonce: 'cafebabefacedbaddecaf888',
    recordId: '5f'.repeat(32),
    version: 'ffffffff',
  },
];

export function computePreVector(input: PreVectorInput): PreVector {
  const context = { recordId: hexToBytes(input.recordId), version: Number.parseInt(input.version, 16) };
  const a = hexToBytes(input.a);
  const b = hexToBytes(input.b);
  const r = hexToBytes(input.r);
  const pkA = preDelegatorPublicKey(a);
  const pkB = preDelegateePublicKey(b);
  const ciphertext = preEncryptDeterministic(pkA, hexToBytes(input.dek), context, r, hexToBytes(input.nonce));
  const c1 = ciphertext.subarray(1, 1 + G1_LENGTH);
  const rk = preRekey(a, pkB);
  const reencryptedCiphertext = preReencrypt(ciphertext, rk);
  const zr = mcl.pow(getCurve().z, decodeScalar(r, 'r'));
  return {
    ...input,
    pkA: bytesToHex(pkA),
    pkB: bytesToHex(pkB),
    c1: bytesToHex(c1),
    rk: bytesToHex(rk),
    zr: bytesToHex(zr.serialize()),
    reencrypted: bytesToHex(reencryptedCiphertext.subarray(1 + G1_LENGTH, 1 + G1_LENGTH + GT_LENGTH)),
    hkdfSalt: bytesToHex(utf8ToBytes(KEM_SALT)),
    hkdfInfo: bytesToHex(c1),
    kemKey: bytesToHex(kemKey(zr, c1)),
    envelopeContext: bytesToHex(encodeContext(context)),
    envelope: bytesToHex(ciphertext.subarray(1 + G1_LENGTH)),
    ciphertext: bytesToHex(ciphertext),
    reencryptedCiphertext: bytesToHex(reencryptedCiphertext),
  };
}
