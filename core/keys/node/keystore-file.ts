import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { CryptoError } from '../../crypto/errors.js';
import {
  decryptKeystore,
  encryptKeystore,
  type KeyMaterial,
  type KeystoreJson,
  type ScryptParams,
} from '../keystore-format.js';

/** Keystore files on disk: one `<address hex>.json` per identity, owner-only permissions. */
export function keystorePath(dir: string, address: Uint8Array): string {
  return join(dir, `${bytesToHex(address)}.json`);
}

/** The keystore files in `dir` (named by their address), sorted. */
export async function keystoreFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => []);
  return names
    .filter((name) => /^[0-9a-f]{40}\.json$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/** Writes atomically (temp file + rename) so a crash never leaves a half-written keystore. */
export async function writeKeystoreFile(dir: string, json: KeystoreJson): Promise<string> {
  const path = join(dir, `${json.address}.json`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(json, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, path);
  return path;
}

/** The parsed JSON of a keystore file; a missing file names `what` and the path, bad JSON is KEYSTORE_CORRUPT. */
export async function readKeystoreFile(path: string, what = 'keystore'): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new Error(`no ${what} at ${path}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new CryptoError('KEYSTORE_CORRUPT', `keystore ${path} is not valid JSON`, { cause });
  }
}

export async function saveKeystore(
  dir: string,
  material: KeyMaterial,
  password: string,
  params?: ScryptParams,
): Promise<string> {
  return writeKeystoreFile(dir, await encryptKeystore(material, password, params));
}

export async function loadKeystore(dir: string, address: Uint8Array, password: string): Promise<KeyMaterial> {
  return decryptKeystore(
    await readKeystoreFile(keystorePath(dir, address), `keystore for 0x${bytesToHex(address)}`),
    password,
  );
}
