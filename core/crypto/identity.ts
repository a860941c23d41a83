import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { equalBytes } from './bytes.js';
import { CryptoError, expectLength } from './errors.js';

/**
 * Signing identities: secp256k1 as on FISCO BCOS (non-SM mode), so an identity's address is the
 * account the chain sees. Messages are hashed with keccak256, signatures are RFC 6979 deterministic
 * and low-s, laid out r‖s‖v (65 bytes, v ∈ {0,1}) so a verifier can recover the signer's address.
 */
export const SECRET_KEY_LENGTH = 32;
export const PUBLIC_KEY_LENGTH = 64;
export const ADDRESS_LENGTH = 20;
export const SIGNATURE_LENGTH = 65;

export interface Identity {
  /** 32-byte big-endian scalar; keep it in the keystore only. */
  readonly secretKey: Uint8Array;
  /** 64 bytes X‖Y, the FISCO/Ethereum uncompressed key without the 0x04 prefix. */
  readonly publicKey: Uint8Array;
  readonly address: Uint8Array;
}

/** An identity's public half as the Directory, the workflows and the wallet's JSON carry it. */
export interface PublicIdentity {
  address: `0x${string}`;
  /** 64-byte secp256k1 public key. */
  publicKey: `0x${string}`;
}

export function generateIdentity(): Identity {
  return identityFromSecret(secp256k1.utils.randomSecretKey());
}

export function identityFromSecret(secretKey: Uint8Array): Identity {
  const publicKey = publicKeyOf(secretKey);
  return { secretKey, publicKey, address: addressOf(publicKey) };
}

function assertSecretKey(secretKey: Uint8Array): void {
  expectLength(secretKey, SECRET_KEY_LENGTH, 'signing secret key');
  if (!secp256k1.utils.isValidSecretKey(secretKey)) {
    throw new CryptoError('BAD_SCALAR', 'signing secret key is zero or not below the secp256k1 order');
  }
}

export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  assertSecretKey(secretKey);
  return secp256k1.getPublicKey(secretKey, false).subarray(1);
}

/** FISCO account address: the last 20 bytes of keccak256 over the 64-byte public key. */
export function addressOf(publicKey: Uint8Array): Uint8Array {
  expectLength(publicKey, PUBLIC_KEY_LENGTH, 'signing public key');
  return keccak_256(publicKey).subarray(12);
}

export function sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  return signDigest(secretKey, keccak_256(message));
}

/** As `sign`, for a caller that already holds keccak256(message), e.g. a FISCO dataHash. */
export function signDigest(secretKey: Uint8Array, digest: Uint8Array): Uint8Array {
  assertSecretKey(secretKey);
  expectLength(digest, 32, 'message digest');
  const recovered = secp256k1.sign(digest, secretKey, {
    prehash: false,
    lowS: true,
    format: 'recovered',
    extraEntropy: false,
  });
  return concatBytes(recovered.subarray(1), recovered.subarray(0, 1));
}

/** Public key that produced `signature` over `message`; throws BAD_SIGNATURE if none does. */
export function recoverPublicKey(signature: Uint8Array, message: Uint8Array): Uint8Array {
  return recoverPublicKeyFromDigest(signature, keccak_256(message));
}

/** As `recoverPublicKey`, for a caller that already holds keccak256(message), e.g. a FISCO dataHash. */
export function recoverPublicKeyFromDigest(signature: Uint8Array, digest: Uint8Array): Uint8Array {
  expectLength(signature, SIGNATURE_LENGTH, 'signature');
  expectLength(digest, 32, 'message digest');
  const v = signature[64] as number;
  if (v > 1) throw new CryptoError('BAD_SIGNATURE', `signature recovery byte must be 0 or 1, got ${v}`);
  const rs = signature.subarray(0, 64);
  let sig;
  try {
    sig = secp256k1.Signature.fromBytes(rs, 'compact');
  } catch (cause) {
    throw new CryptoError('BAD_SIGNATURE', 'signature r or s is zero or not below the curve order', { cause });
  }
  if (sig.hasHighS()) throw new CryptoError('BAD_SIGNATURE', 'signature is not low-s (malleable form rejected)');
  try {
    return sig.addRecoveryBit(v).recoverPublicKey(digest).toBytes(false).subarray(1);
  } catch (cause) {
    throw new CryptoError('BAD_SIGNATURE', 'no public key recovers from this signature', { cause });
  }
}

/**
 * True iff `signature` is a valid low-s signature over `message` by `signer`, given either as a
 * 20-byte address or a 64-byte public key. Malformed signatures are simply invalid (false).
 */
export function verify(signature: Uint8Array, message: Uint8Array, signer: Uint8Array): boolean {
  if (signer.length !== ADDRESS_LENGTH && signer.length !== PUBLIC_KEY_LENGTH) {
    throw new CryptoError(
      'BAD_LENGTH',
      `signer must be a ${ADDRESS_LENGTH}-byte address or a ${PUBLIC_KEY_LENGTH}-byte public key, got ${signer.length} bytes`,
    );
  }
  let recovered: Uint8Array;
  try {
    recovered = recoverPublicKey(signature, message);
  } catch (e) {
    if (e instanceof CryptoError && (e.code === 'BAD_SIGNATURE' || e.code === 'BAD_LENGTH')) return false;
    throw e;
  }
  return signer.length === ADDRESS_LENGTH ? equalBytes(addressOf(recovered), signer) : equalBytes(recovered, signer);
}
