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
 * - the record id on chain is keccak256 of the CID's binary form;
 * - the DEK is wrapped (AFGH) with context (recordId = that id, version 1).
 */
export const RECORD_VERSION = 1;

export function recordIdOf(cid: string): Uint8Array {
  return keccak_256(parseCid(cid).bytes);
}

export function contentContext(patient: Uint8Array, prekeyIndex: number): RecordContext {
  return { recordId: concatBytes(patient, u32be(prekeyIndex)), version: RECORD_VERSION };
}

export function wrapContext(recordId: Uint8Array): RecordContext {
  return { recordId, version: RECORD_VERSION };
}
