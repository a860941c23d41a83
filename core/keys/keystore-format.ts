import { scryptAsync } from '@noble/hashes/scrypt.js';
import { bytesToHex, concatBytes, hexToBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { aesGcmOpen, aesGcmSeal, AES_KEY_LENGTH, NONCE_LENGTH } from '../crypto/aead.js';
import { ByteReader, equalBytes, u32be, wipe } from '../crypto/bytes.js';
import { CryptoError } from '../crypto/errors.js';
import { identityFromSecret, SECRET_KEY_LENGTH } from '../crypto/identity.js';

/**
 * Keystore format: an Ethereum-v3-style JSON document (scrypt + AES-256-GCM) holding one identity's
 * signing key, its delegatee PRE keys and its prekey private halves. Pure format and crypto, no
 * file I/O, so the browser wallet can use it unchanged. Layout: docs/formats.md § Keystore.
 */
export const KEYSTORE_FORMAT = 'yilian-keystore';
export const KEYSTORE_VERSION = 1;
export const KEYSTORE_LABEL = 'yilian/keystore/v1';
const MATERIAL_VERSION = 0x01;
const CHECK_LENGTH = 16;
const SALT_LENGTH = 32;

export interface ScryptParams {
  readonly n: number;
  readonly r: number;
  readonly p: number;
}

/** 2^17 costs ~128 MiB and about a second; tests pass smaller values, files always record theirs. */
export const PRODUCTION_SCRYPT: ScryptParams = { n: 2 ** 17, r: 8, p: 1 };
/** Refuse files that would make loading a denial of service (≈ 1 GiB of scrypt memory). */
const MAX_SCRYPT_MEMORY = 1024 ** 3;

export interface KeyEntry {
  /** u32: a delegatee key id, or a prekey index. */
  readonly id: number;
  /** 32-byte big-endian BLS12-381 scalar. */
  readonly secretKey: Uint8Array;
}

export interface KeyMaterial {
  readonly signingKey: Uint8Array;
  readonly preKeys: readonly KeyEntry[];
  readonly prekeys: readonly KeyEntry[];
}

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
const KeystoreSchema = z.object({
  format: z.literal(KEYSTORE_FORMAT),
  version: z.literal(KEYSTORE_VERSION),
  id: z.string(),
  address: hex(20),
  crypto: z.object({
    cipher: z.literal('aes-256-gcm'),
    cipherparams: z.object({ iv: hex(NONCE_LENGTH) }),
    ciphertext: z.string().regex(/^([0-9a-f]{2})+$/),
    kdf: z.literal('scrypt'),
    kdfparams: z.object({
      n: z.number().int().min(2),
      r: z.number().int().min(1).max(64),
      p: z.number().int().min(1).max(16),
      dklen: z.literal(AES_KEY_LENGTH + CHECK_LENGTH),
      salt: hex(SALT_LENGTH),
    }),
    check: hex(CHECK_LENGTH),
  }),
});
export type KeystoreJson = z.infer<typeof KeystoreSchema>;

function encodeEntries(entries: readonly KeyEntry[]): Uint8Array[] {
  return [u32be(entries.length), ...entries.flatMap((e) => [u32be(e.id), e.secretKey])];
}

/** u8 version ‖ signing key(32) ‖ u32 n ‖ n×(u32 id ‖ 32) ‖ u32 m ‖ m×(u32 index ‖ 32). */
export function encodeKeyMaterial(m: KeyMaterial): Uint8Array {
  for (const e of [...m.preKeys, ...m.prekeys]) {
    if (e.secretKey.length !== SECRET_KEY_LENGTH)
      throw new CryptoError('BAD_LENGTH', `key entry ${e.id} must hold a 32-byte scalar`);
  }
  return concatBytes(
    Uint8Array.of(MATERIAL_VERSION),
    m.signingKey,
    ...encodeEntries(m.preKeys),
    ...encodeEntries(m.prekeys),
  );
}

export function decodeKeyMaterial(bytes: Uint8Array): KeyMaterial {
  const r = new ByteReader(bytes, 'keystore contents');
  if (r.u8('version') !== MATERIAL_VERSION)
    throw new CryptoError('KEYSTORE_CORRUPT', 'keystore contents: unknown version');
  const signingKey = r.take(SECRET_KEY_LENGTH, 'signing key').slice();
  const entries = (what: string): KeyEntry[] =>
    Array.from({ length: r.u32(`${what} count`) }, () => ({
      id: r.u32(`${what} id`),
      secretKey: r.take(SECRET_KEY_LENGTH, what).slice(),
    }));
  const preKeys = entries('PRE key');
  const prekeys = entries('prekey');
  r.end();
  return { signingKey, preKeys, prekeys };
}

/** Zeroes every secret in `m`; call when a wallet session ends. */
export function wipeKeyMaterial(m: KeyMaterial): void {
  wipe(m.signingKey, ...m.preKeys.map((e) => e.secretKey), ...m.prekeys.map((e) => e.secretKey));
}

export function prekeySecret(m: KeyMaterial, index: number): Uint8Array {
  const entry = m.prekeys.find((e) => e.id === index);
  if (entry === undefined) {
    throw new CryptoError(
      'PREKEY_UNKNOWN',
      `this keystore holds no private half for prekey ${index} (published from another wallet, or the keystore is outdated)`,
    );
  }
  return entry.secretKey;
}

async function deriveKeys(
  password: string,
  salt: Uint8Array,
  params: ScryptParams,
): Promise<{ key: Uint8Array; check: Uint8Array }> {
  const { n, r, p } = params;
  if (n < 2 || (n & (n - 1)) !== 0) throw new CryptoError('KEYSTORE_CORRUPT', `scrypt n=${n} is not a power of two`);
  const memory = 128 * r * (n + p + 2);
  if (memory > MAX_SCRYPT_MEMORY)
    throw new CryptoError('KEYSTORE_CORRUPT', `scrypt n=${n}, r=${r}, p=${p} needs more than 1 GiB`);
  const dk = await scryptAsync(utf8ToBytes(password.normalize('NFKC')), salt, {
    N: n,
    r,
    p,
    dkLen: AES_KEY_LENGTH + CHECK_LENGTH,
    maxmem: MAX_SCRYPT_MEMORY + 1024 * 1024,
  });
  return { key: dk.slice(0, AES_KEY_LENGTH), check: dk.slice(AES_KEY_LENGTH) };
}

/** GCM associated data: the header fields an attacker could swap without touching the ciphertext. */
function associatedData(address: Uint8Array, params: ScryptParams, salt: Uint8Array): Uint8Array {
  return concatBytes(utf8ToBytes(KEYSTORE_LABEL), address, u32be(params.n), u32be(params.r), u32be(params.p), salt);
}

export async function encryptKeystore(
  material: KeyMaterial,
  password: string,
  params: ScryptParams = PRODUCTION_SCRYPT,
): Promise<KeystoreJson> {
  const address = identityFromSecret(material.signingKey).address;
  const salt = randomBytes(SALT_LENGTH);
  const iv = randomBytes(NONCE_LENGTH);
  const { key, check } = await deriveKeys(password, salt, params);
  const plaintext = encodeKeyMaterial(material);
  try {
    const ciphertext = aesGcmSeal(key, iv, plaintext, associatedData(address, params, salt));
    return {
      format: KEYSTORE_FORMAT,
      version: KEYSTORE_VERSION,
      id: globalThis.crypto.randomUUID(),
      address: bytesToHex(address),
      crypto: {
        cipher: 'aes-256-gcm',
        cipherparams: { iv: bytesToHex(iv) },
        ciphertext: bytesToHex(ciphertext),
        kdf: 'scrypt',
        kdfparams: {
          n: params.n,
          r: params.r,
          p: params.p,
          dklen: AES_KEY_LENGTH + CHECK_LENGTH,
          salt: bytesToHex(salt),
        },
        check: bytesToHex(check),
      },
    };
  } finally {
    wipe(key, plaintext);
  }
}

/** WRONG_PASSWORD if the password check fails; KEYSTORE_CORRUPT for anything malformed or modified. */
export async function decryptKeystore(json: unknown, password: string): Promise<KeyMaterial> {
  const parsed = KeystoreSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new CryptoError('KEYSTORE_CORRUPT', `keystore file is malformed at: ${where}`);
  }
  const ks = parsed.data;
  const { n, r, p, salt: saltHex } = ks.crypto.kdfparams;
  const salt = hexToBytes(saltHex);
  const address = hexToBytes(ks.address);
  const { key, check } = await deriveKeys(password, salt, { n, r, p });
  let plaintext: Uint8Array | undefined;
  try {
    if (!equalBytes(check, hexToBytes(ks.crypto.check))) {
      throw new CryptoError('WRONG_PASSWORD', `wrong password for keystore 0x${ks.address}`);
    }
    try {
      plaintext = aesGcmOpen(
        key,
        hexToBytes(ks.crypto.cipherparams.iv),
        hexToBytes(ks.crypto.ciphertext),
        associatedData(address, { n, r, p }, salt),
        'keystore',
      );
    } catch (cause) {
      throw new CryptoError(
        'KEYSTORE_CORRUPT',
        `keystore 0x${ks.address}: password is right but the file was modified or damaged`,
        { cause },
      );
    }
    const material = decodeKeyMaterial(plaintext);
    if (!equalBytes(identityFromSecret(material.signingKey).address, address)) {
      wipeKeyMaterial(material);
      throw new CryptoError(
        'KEYSTORE_CORRUPT',
        `keystore 0x${ks.address}: signing key does not match the recorded address`,
      );
    }
    return material;
  } finally {
    wipe(key);
    if (plaintext) wipe(plaintext);
  }
}
