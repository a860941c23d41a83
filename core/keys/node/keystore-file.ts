import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { CryptoError } from '../../crypto/errors.js';
import { identityFromSecret } from '../../crypto/identity.js';
import { decryptKeystore, encryptKeystore, type KeyMaterial, type ScryptParams } from '../keystore-format.js';

/** Keystore files on disk: one `<address hex>.json` per identity, owner-only permissions. */
export function keystorePath(dir: string, address: Uint8Array): string {
  return join(dir, `${bytesToHex(address)}.json`);
}

/** Writes atomically (temp file + rename) so a crash never leaves a half-written keystore. */
export async function saveKeystore(dir: string, material: KeyMaterial, password: string, params?: ScryptParams): Promise<string> {
  const json = await encryptKeystore(material, password, params);
  const path = keystorePath(dir, identityFromSecret(material.signingKey).address);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(json, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, path);
  return path;
}

export async function loadKeystore(dir: string, address: Uint8Array, password: string): Promise<KeyMaterial> {
  const path = keystorePath(dir, address);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new Error(`no keystore for 0x${bytesToHex(address)} at ${path}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new CryptoError('KEYSTORE_CORRUPT', `keystore ${path} is not valid JSON`, { cause });
  }
  return decryptKeystore(json, password);
}
