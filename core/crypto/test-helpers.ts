import { bls12_381 as bls } from '@noble/curves/bls12-381.js';
import fc from 'fast-check';
import { hexToBytes } from '@noble/hashes/utils.js';
import type { RecordContext } from './envelope.js';

/** Helpers shared by the crypto tests; @noble/curves is the independent reference implementation. */
export const ORDER = bls.fields.Fr.ORDER;

export function scalarBytes(n: bigint): Uint8Array {
  return hexToBytes(n.toString(16).padStart(64, '0'));
}

export const arbScalar = fc.bigInt({ min: 1n, max: ORDER - 1n });

export const arbContext: fc.Arbitrary<RecordContext> = fc.record({
  recordId: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  version: fc.nat({ max: 0xffffffff }),
});

/** mcl (ETH mode) writes each Fp2 of GT as c1‖c0, noble as c0‖c1; the map is its own inverse. */
export function swapFp2Halves(gt: Uint8Array): Uint8Array {
  const out = new Uint8Array(gt.length);
  for (let i = 0; i < gt.length; i += 96) {
    out.set(gt.subarray(i + 48, i + 96), i);
    out.set(gt.subarray(i, i + 48), i + 48);
  }
  return out;
}

export function nobleGtBytes(f: ReturnType<typeof bls.pairing>): Uint8Array {
  return swapFp2Halves(bls.fields.Fp12.toBytes(f));
}

/** Calls `check` with a copy of `bytes` for every single-byte change (each byte xor each mask). */
export function forEachTamper(
  bytes: Uint8Array,
  check: (tampered: Uint8Array, index: number) => void,
  masks: readonly number[] = [0x01, 0x80],
): void {
  for (let i = 0; i < bytes.length; i++) {
    for (const mask of masks) {
      const t = bytes.slice();
      t[i] = (t[i] as number) ^ mask;
      check(t, i);
    }
  }
}
