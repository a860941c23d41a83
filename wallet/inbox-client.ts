import { z } from 'zod';
import { engineAudience, signInboxRequest } from '../core/inbox/request-signature.js';
import type { InboxMessage } from '../core/inbox/inbox-message.js';
import type { Wallet } from './wallet.js';

const responseSchema = z.object({
  items: z.array(z.object({ seq: z.number(), deliveredAt: z.string(), sealed: z.string() })),
});

/** An opened inbox item and its place in the inbox. */
export type ReceivedItem = InboxMessage & { seq: number };

/** Reads and opens the wallet's inbox at an engine's API (`GET /inbox/:address`). */
export async function fetchInbox(apiUrl: string, wallet: Wallet, after = 0): Promise<ReceivedItem[]> {
  const { address } = wallet.identity;
  const audience = engineAudience(apiUrl);
  const target = `/inbox/${address}?after=${after}`;
  const authorization = signInboxRequest({ audience, method: 'GET', target, address }, (message) =>
    wallet.sign(message),
  );
  const response = await fetch(`${audience}${target}`, { headers: { authorization } });
  if (!response.ok)
    throw new Error(`inbox of ${address} at ${audience}: HTTP ${response.status} ${await response.text()}`);
  const { items } = responseSchema.parse(await response.json());
  const opened = wallet.openInbox(items.map((item) => fromBase64(item.sealed)));
  return opened.map((message, i) => ({ ...message, seq: (items[i] as { seq: number }).seq }));
}

/** atob rather than Buffer, so the wallet runs in a browser unchanged. */
const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
