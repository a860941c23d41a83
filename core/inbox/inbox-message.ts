import { utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';

/**
 * What an engine files in a person's inbox, sealed to their Directory key (docs/formats.md
 * § Records): where a record lives and what the recipient needs to open it.
 */

/** AD of inbox items (sealed boxes), so an inbox item cannot be passed off as another sealed message. */
export const INBOX_CONTEXT = utf8ToBytes('yilian/inbox/v1');

const hex = z.string().regex(/^0x([0-9a-f]{2})+$/);
const address = z.string().regex(/^0x[0-9a-f]{40}$/);
export const inboxMessageSchema = z.discriminatedUnion('kind', [
  /** A record anchored for the patient: the prekey index tells the wallet which secret unwraps it. */
  z.strictObject({
    kind: z.literal('record'),
    cid: z.string(),
    recordId: hex,
    prekeyIndex: z.number().int().min(0),
    author: address,
  }),
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
