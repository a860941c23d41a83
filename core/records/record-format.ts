import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { parseCid } from '../storage/index.js';
import type { RecordContext } from '../crypto/index.js';
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

/** AD of inbox items (sealed boxes), so an inbox item cannot be passed off as another sealed message. */
export const INBOX_CONTEXT = utf8ToBytes('yilian/inbox/v1');

const hex = z.string().regex(/^0x([0-9a-f]{2})+$/);
const address = z.string().regex(/^0x[0-9a-f]{40}$/);
export const inboxMessageSchema = z.discriminatedUnion('kind', [
  /** A record anchored for the patient: the prekey index tells the wallet which secret unwraps it. */
  z.strictObject({ kind: z.literal('record'), cid: z.string(), recordId: hex, prekeyIndex: z.number().int().min(0), author: address }),
  /** A record granted to the recipient: the key re-encrypted for the G2 key the grantee sent. */
  z.strictObject({
    kind: z.literal('grant'),
    cid: z.string(),
    recordId: hex,
    reencryptedKey: hex,
    granteeKey: hex,
    /** The content's context (patient ‖ prekey index), which the grantee needs to open it. */
    patient: address,
    prekeyIndex: z.number().int().min(0),
  }),
]);
export type InboxMessage = z.infer<typeof inboxMessageSchema>;
