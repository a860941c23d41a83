import { hexToBytes, toHex, type Hex } from 'viem';
import { bytesToHex, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { verify } from '../crypto/index.js';

/**
 * How a wallet proves it owns the inbox it reads (docs/formats.md § Inbox requests): it signs the
 * engine it addresses, the method, the path with its query, its address, the time and a random
 * nonce, and sends `Authorization: Yilian-Signature <address>:<unix ms>:<nonce>:<signature hex>`.
 * The engine rebuilds the message from the request it received and its own public URL, so a
 * signature is good for one request to one engine, once, within a minute. Items are sealed to the
 * owner anyway; the signature keeps others from learning how many records someone receives.
 */
export const INBOX_REQUEST_LABEL = 'yilian/inbox-request/v2';
/** How far the signed time may be from the engine's clock either way, clock skew included. */
export const INBOX_REQUEST_WINDOW_MS = 60 * 1000;
const NONCE_LENGTH = 16;

export interface InboxRequest {
  /** The engine's public base URL as the wallet addresses it, in `engineAudience` form. */
  audience: string;
  method: string;
  /** Path and query after the audience, exactly as sent: `/inbox/0x…?after=3`. */
  target: string;
  address: string;
  timeMs: number;
  /** 32 lowercase hex digits: 16 random bytes. */
  nonce: string;
}

/**
 * An engine's API URL as a signature names it: scheme, host, port only if not the default, and any
 * path prefix without a trailing slash — so both sides write the same URL the same way.
 */
export function engineAudience(baseUrl: string): string {
  // the URL itself is not quoted: it may hold credentials
  const problem = new Error(
    "an engine's API URL must be http(s)://host[:port][/path], with no credentials, query or fragment",
  );
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw problem;
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.username || url.password || url.search || url.hash)
    throw problem;
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** No field can hold a newline (a URL, a method token, hex, decimal), so the fields cannot run into each other. */
export function inboxRequestMessage(request: InboxRequest): Uint8Array {
  const { audience, method, target, address, timeMs, nonce } = request;
  return utf8ToBytes(
    [INBOX_REQUEST_LABEL, audience, method.toUpperCase(), target, address.toLowerCase(), timeMs, nonce].join('\n'),
  );
}

/** The Authorization header carrying a signature over `inboxRequestMessage(request)`. */
export function inboxAuthorization(request: InboxRequest, signature: Uint8Array): string {
  return `Yilian-Signature ${request.address.toLowerCase()}:${request.timeMs}:${request.nonce}:${toHex(signature).slice(2)}`;
}

/** The Authorization header for one request, signed now with a fresh nonce by `sign` (the owner's identity key). */
export function signInboxRequest(
  request: Pick<InboxRequest, 'audience' | 'method' | 'target' | 'address'>,
  sign: (message: Uint8Array) => Uint8Array,
  timeMs = Date.now(),
): string {
  const signed = { ...request, timeMs, nonce: bytesToHex(randomBytes(NONCE_LENGTH)) };
  return inboxAuthorization(signed, sign(inboxRequestMessage(signed)));
}

/**
 * The owner an Authorization header proves for the request the engine received (`audience` being
 * the engine's own), with the nonce the caller must not accept twice; or a reason it proves nothing.
 */
export function checkInboxAuthorization(
  header: string | undefined,
  received: Pick<InboxRequest, 'audience' | 'method' | 'target'>,
  nowMs: number,
): { address: string; nonce: string; timeMs: number } | { problem: string } {
  const match = /^Yilian-Signature (0x[0-9a-f]{40}):(\d{1,16}):([0-9a-f]{32}):([0-9a-f]{130})$/.exec(header ?? '');
  if (!match)
    return { problem: 'expected Authorization: Yilian-Signature <address>:<unix ms>:<nonce hex>:<signature hex>' };
  const [, address, time, nonce, signature] = match as unknown as [string, Hex, string, string, string];
  const timeMs = Number(time);
  if (Math.abs(nowMs - timeMs) > INBOX_REQUEST_WINDOW_MS)
    return { problem: `the signed time is more than ${INBOX_REQUEST_WINDOW_MS / 1000} s from the engine's clock` };
  const message = inboxRequestMessage({ ...received, address, timeMs, nonce });
  if (!verify(hexToBytes(`0x${signature}`), message, hexToBytes(address)))
    return {
      problem: `the signature is not ${address}'s over ${received.method} ${received.target} at ${received.audience} (it must sign this engine's URL, the method, and the path with its query)`,
    };
  return { address, nonce, timeMs };
}
