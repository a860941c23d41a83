import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { parseCid } from '../storage/cid.js';
import type { RecordContext } from '../crypto/envelope.js';
import { u32be } from '../crypto/bytes.js';

/**
 * How a record's pieces are bound together (docs/formats.md § Records):
 * - the content (signed record) is sealed under a fresh DEK with context
 *   (recordId = patient address ‖ u32 prekey index, version 1): the one-time prekey names the record
 *   before its CID exists;
 * - the record id on chain is keccak256(author address ‖ keccak256(CID bytes)): RecordRegistry
 *   derives it from the creating transaction's sender, so only the author can create it;
 * - the DEK is wrapped (AFGH) with context (recordId = that id, version 1).
 */
export const RECORD_VERSION = 1;

/** keccak256 of the CID's binary form: what `RecordRegistry.create` takes. */
export function cidHashOf(cid: string): Uint8Array {
  return keccak_256(parseCid(cid).bytes);
}

/** The id `RecordRegistry.create(cidHashOf(cid), …)` gives when `author` (20 bytes) sends it. */
export function recordIdOf(author: Uint8Array, cid: string): Uint8Array {
  if (author.length !== 20) throw new RangeError(`a record author is a 20-byte address, not ${author.length} bytes`);
  return keccak_256(concatBytes(author, cidHashOf(cid)));
}

export function contentContext(patient: Uint8Array, prekeyIndex: number): RecordContext {
  return { recordId: concatBytes(patient, u32be(prekeyIndex)), version: RECORD_VERSION };
}

export function wrapContext(recordId: Uint8Array): RecordContext {
  return { recordId, version: RECORD_VERSION };
}
