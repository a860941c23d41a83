import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { aesGcmOpen, aesGcmSeal, AES_KEY_LENGTH, NONCE_LENGTH, TAG_LENGTH } from './aead.js';
import { ByteReader, wipe } from './bytes.js';
import { CryptoError, expectLength } from './errors.js';
import { PUBLIC_KEY_LENGTH, publicKeyOf, SECRET_KEY_LENGTH } from './identity.js';

/**
 * Sealed box: ECIES to a secp256k1 signing identity, so an inbox item can be addressed to an
 * identity that has published nothing but its signing key. A fresh ephemeral key per box makes
 * every AES key single-use; the sender stays anonymous to the box (authenticity, where needed,
 * comes from a signature inside the plaintext). Layout: docs/formats.md § Sealed box.
 */
export const SEALED_BOX_LABEL = 'yilian/sealed-box/v1';
export const SEALED_BOX_VERSION = 0x01;
export const EPHEMERAL_KEY_LENGTH = 33;
export const SEALED_BOX_OVERHEAD = 1 + EPHEMERAL_KEY_LENGTH + NONCE_LENGTH + TAG_LENGTH;

const LABEL = utf8ToBytes(SEALED_BOX_LABEL);

/** Checked up front so a corrupt directory entry fails loudly instead of producing a box nobody can open. */
function assertRecipientKey(publicKey: Uint8Array): void {
  expectLength(publicKey, PUBLIC_KEY_LENGTH, 'sealed box recipient public key');
  try {
    secp256k1.Point.fromBytes(concatBytes(Uint8Array.of(0x04), publicKey));
  } catch (cause) {
    throw new CryptoError('BAD_POINT', 'sealed box: recipient public key is not a point on secp256k1', { cause });
  }
}

/** HKDF over the ECDH x-coordinate; info binds both public keys so the key is specific to this pair. */
function deriveKey(
  secretKey: Uint8Array,
  peerSec1: Uint8Array,
  ephemeral: Uint8Array,
  recipient: Uint8Array,
): Uint8Array {
  const shared = secp256k1.getSharedSecret(secretKey, peerSec1, true);
  const x = shared.subarray(1);
  try {
    return hkdf(sha256, x, LABEL, concatBytes(ephemeral, recipient), AES_KEY_LENGTH);
  } finally {
    wipe(shared);
  }
}

export function sealTo(recipientPublicKey: Uint8Array, plaintext: Uint8Array, context: Uint8Array): Uint8Array {
  const ephemeralSecret = secp256k1.utils.randomSecretKey();
  try {
    return sealToDeterministic(recipientPublicKey, plaintext, context, ephemeralSecret, randomBytes(NONCE_LENGTH));
  } finally {
    wipe(ephemeralSecret);
  }
}

/**
 * Deterministic form, for test vectors only: reusing an ephemeral secret lets anyone who sees two
 * boxes to the same recipient detect it, and with the same nonce breaks GCM. Everything else uses `sealTo`.
 */
export function sealToDeterministic(
  recipientPublicKey: Uint8Array,
  plaintext: Uint8Array,
  context: Uint8Array,
  ephemeralSecret: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  assertRecipientKey(recipientPublicKey);
  expectContext(context);
  expectLength(ephemeralSecret, SECRET_KEY_LENGTH, 'sealed box ephemeral secret');
  if (!secp256k1.utils.isValidSecretKey(ephemeralSecret)) {
    throw new CryptoError('BAD_SCALAR', 'sealed box: ephemeral secret is zero or not below the secp256k1 order');
  }
  const ephemeral = secp256k1.getPublicKey(ephemeralSecret, true);
  const header = Uint8Array.of(SEALED_BOX_VERSION);
  const key = deriveKey(
    ephemeralSecret,
    concatBytes(Uint8Array.of(0x04), recipientPublicKey),
    ephemeral,
    recipientPublicKey,
  );
  try {
    const sealed = aesGcmSeal(key, nonce, plaintext, concatBytes(header, context));
    return concatBytes(header, ephemeral, nonce, sealed);
  } finally {
    wipe(key);
  }
}

export function openSealed(recipientSecretKey: Uint8Array, sealed: Uint8Array, context: Uint8Array): Uint8Array {
  expectContext(context);
  if (!(sealed instanceof Uint8Array)) throw new CryptoError('BAD_FORMAT', 'sealed box must be a Uint8Array');
  if (sealed.length < SEALED_BOX_OVERHEAD) {
    throw new CryptoError(
      'BAD_FORMAT',
      `sealed box: ${sealed.length} bytes is shorter than the ${SEALED_BOX_OVERHEAD}-byte minimum`,
    );
  }
  const r = new ByteReader(sealed, 'sealed box');
  const version = r.version(SEALED_BOX_VERSION);
  const ephemeral = r.take(EPHEMERAL_KEY_LENGTH, 'ephemeral public key');
  const nonce = r.take(NONCE_LENGTH, 'nonce');
  const body = r.rest();
  if (ephemeral[0] !== 0x02 && ephemeral[0] !== 0x03) {
    throw new CryptoError(
      'BAD_FORMAT',
      'sealed box: ephemeral public key is not a compressed point (prefix 0x02 or 0x03)',
    );
  }
  // Decompression puts the point on the curve (cofactor 1), which is what rules out invalid-curve attacks on the recipient's key.
  try {
    secp256k1.Point.fromBytes(ephemeral);
  } catch (cause) {
    throw new CryptoError('BAD_POINT', 'sealed box: ephemeral public key is not a point on secp256k1', { cause });
  }
  const recipient = publicKeyOf(recipientSecretKey);
  const key = deriveKey(recipientSecretKey, ephemeral, ephemeral, recipient);
  try {
    return aesGcmOpen(key, nonce, body, concatBytes(Uint8Array.of(version), context), 'sealed box');
  } finally {
    wipe(key);
  }
}

function expectContext(context: Uint8Array): void {
  if (!(context instanceof Uint8Array)) throw new CryptoError('BAD_FORMAT', 'sealed box context must be a Uint8Array');
}
