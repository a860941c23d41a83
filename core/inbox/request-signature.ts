import { hexToBytes, toHex, type Hex } from 'viem';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { verify } from '../crypto/index.js';

/**
 * How a wallet proves it owns the inbox it reads (docs/formats.md § Inbox requests): it signs
 * `yilian/inbox-request/v1\n<address>\n<unix ms>` with its identity key and sends
 * `Authorization: Yilian-Signature <address>:<unix ms>:<signature hex>`. Items are sealed to the
 * owner anyway; the signature keeps others from learning how many records someone receives.
 */
export const INBOX_REQUEST_LABEL = 'yilian/inbox-request/v1';
export const INBOX_REQUEST_MAX_SKEW_MS = 5 * 60 * 1000;

export function inboxRequestMessage(address: string, timeMs: number): Uint8Array {
  return utf8ToBytes(`${INBOX_REQUEST_LABEL}\n${address.toLowerCase()}\n${timeMs}`);
}

export function inboxAuthorization(address: string, timeMs: number, signature: Uint8Array): string {
  return `Yilian-Signature ${address.toLowerCase()}:${timeMs}:${toHex(signature).slice(2)}`;
}

/** The address an Authorization header proves, or a reason it proves nothing. */
export function checkInboxAuthorization(
  header: string | undefined,
  nowMs: number,
): { address: string } | { problem: string } {
  const match = /^Yilian-Signature (0x[0-9a-f]{40}):(\d{1,16}):([0-9a-f]{130})$/.exec(header ?? '');
  if (!match) return { problem: 'expected Authorization: Yilian-Signature <address>:<unix ms>:<signature hex>' };
  const [, address, time, signature] = match as unknown as [string, Hex, string, string];
  if (Math.abs(nowMs - Number(time)) > INBOX_REQUEST_MAX_SKEW_MS)
    return { problem: 'the signed time is more than 5 minutes from the server clock' };
  if (!verify(hexToBytes(`0x${signature}`), inboxRequestMessage(address, Number(time)), hexToBytes(address))) {
    return { problem: `the signature is not ${address}'s` };
  }
  return { address };
}
