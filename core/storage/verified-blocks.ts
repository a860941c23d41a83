import type { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { equals } from 'multiformats/bytes';
import type { ReadableStorage } from 'ipfs-unixfs-exporter';
import { assertSupported } from './cid.js';
import { StorageError } from './errors.js';

/** Where the bytes of one block come from; it is not trusted. */
export type BlockSource = (cid: CID, signal?: AbortSignal) => Promise<Uint8Array>;

/** Re-hashes a block and refuses it unless it matches the digest in its CID. */
export async function verifyBlock(cid: CID, bytes: Uint8Array): Promise<Uint8Array> {
  assertSupported(cid);
  const digest = await sha256.digest(bytes);
  if (!equals(digest.digest, cid.multihash.digest)) {
    throw new StorageError(
      'INTEGRITY',
      `block ${cid.toString()} does not match its CID: the store returned different content (${bytes.length} bytes)`,
    );
  }
  return bytes;
}

/**
 * Adapts an untrusted block source to the exporter's storage interface, verifying every block
 * before the exporter reads a byte of it, so tampered content fails instead of being returned.
 */
export function verifiedStorage(source: BlockSource): ReadableStorage {
  return {
    async *get(cid, options) {
      yield await verifyBlock(cid, await source(cid, options?.signal));
    },
  };
}
