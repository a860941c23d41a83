import { concatBytes } from '@noble/hashes/utils.js';
import { ByteReader, u32be } from '../crypto/bytes.js';
import { CryptoError } from '../crypto/errors.js';

/**
 * A sealed batch of trace steps as one content-store object, so that the workflow history carries
 * its CID and the ciphertext hashes instead of every ciphertext (a 1,000-item batch is ~0.7 MB,
 * beyond Temporal's payload warning). Layout (docs/formats.md § Trace batches):
 * u8 version 0x01 ‖ u32 count ‖ count × (u32 length ‖ ciphertext).
 */
export const TRACE_BATCH_VERSION = 0x01;

export function encodeTraceBatch(ciphertexts: readonly Uint8Array[]): Uint8Array {
  return concatBytes(
    Uint8Array.of(TRACE_BATCH_VERSION),
    u32be(ciphertexts.length),
    ...ciphertexts.flatMap((c) => [u32be(c.length), c]),
  );
}

export function decodeTraceBatch(bytes: Uint8Array): Uint8Array[] {
  const r = new ByteReader(bytes, 'trace batch');
  r.version(TRACE_BATCH_VERSION);
  const count = r.u32('count');
  // each entry takes at least its 4-byte length, so a count larger than that is a lie
  if (count > (bytes.length - 5) / 4)
    throw new CryptoError('BAD_FORMAT', `trace batch: ${count} entries cannot fit in ${bytes.length} bytes`);
  const ciphertexts = Array.from({ length: count }, (_, i) => r.take(r.u32(`length ${i}`), `ciphertext ${i}`).slice());
  r.end();
  return ciphertexts;
}
