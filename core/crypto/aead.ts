import { gcm } from '@noble/ciphers/aes.js';
import { CryptoError, expectLength } from './errors.js';

/**
 * AES-256-GCM via @noble/ciphers: synchronous, identical in Node and browsers, and for the short
 * messages Yilian seals (keys, records) much cheaper than WebCrypto's per-call key import and
 * thread-pool hop. Output is ciphertext‖tag (16-byte tag).
 */
export const AES_KEY_LENGTH = 32;
export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;

export function aesGcmSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  expectLength(key, AES_KEY_LENGTH, 'AES-256-GCM key');
  expectLength(nonce, NONCE_LENGTH, 'AES-GCM nonce');
  return gcm(key, nonce, associatedData).encrypt(plaintext);
}

/** Throws AUTH_FAILED naming `what` when the tag does not verify; no partial plaintext escapes. */
export function aesGcmOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  associatedData: Uint8Array,
  what: string,
): Uint8Array {
  expectLength(key, AES_KEY_LENGTH, 'AES-256-GCM key');
  expectLength(nonce, NONCE_LENGTH, 'AES-GCM nonce');
  if (sealed.length < TAG_LENGTH) {
    throw new CryptoError('BAD_FORMAT', `${what}: ${sealed.length} bytes is shorter than the ${TAG_LENGTH}-byte tag`);
  }
  try {
    return gcm(key, nonce, associatedData).decrypt(sealed);
  } catch (cause) {
    throw new CryptoError(
      'AUTH_FAILED',
      `${what}: authentication failed (ciphertext, nonce or bound context was modified, or the key is wrong)`,
      { cause },
    );
  }
}
