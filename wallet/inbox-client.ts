import { z } from 'zod';
import { inboxAuthorization, inboxRequestMessage } from '../core/inbox/request-signature.js';
import type { InboxMessage } from '../activities/records/index.js';
import type { Wallet } from './wallet.js';

const responseSchema = z.object({ items: z.array(z.object({ seq: z.number(), deliveredAt: z.string(), sealed: z.string() })) });

/** Reads and opens the wallet's inbox at an engine's API (`GET /inbox/:address`). */
export async function fetchInbox(apiUrl: string, wallet: Wallet, after = 0): Promise<Array<InboxMessage & { seq: number }>> {
  const { address } = wallet.identity;
  const now = Date.now();
  const response = await fetch(`${apiUrl}/inbox/${address}?after=${after}`, {
    headers: { authorization: inboxAuthorization(address, now, wallet.sign(inboxRequestMessage(address, now))) },
  });
  if (!response.ok) throw new Error(`inbox of ${address} at ${apiUrl}: HTTP ${response.status} ${await response.text()}`);
  const { items } = responseSchema.parse(await response.json());
  const opened = wallet.openInbox(items.map((item) => Buffer.from(item.sealed, 'base64')));
  return opened.map((message, i) => ({ ...message, seq: (items[i] as { seq: number }).seq }));
}
