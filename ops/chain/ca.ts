import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { generateIdentity, identityFromSecret, type Identity } from '../../core/crypto/index.js';
import { loadKeystore, saveKeystore } from '../../core/keys/node/keystore-file.js';

/**
 * The consortium CA's identity: its keystore in `<data dir>/keys`, and `ca.address` naming which
 * keystore file is the CA's. Created on first use so that the embedded stack has a CA.
 */
export async function loadOrCreateCa(home: string, password: string): Promise<Identity> {
  const dir = join(home, 'keys');
  const pointer = join(dir, 'ca.address');
  const address = await readFile(pointer, 'utf8').catch(() => undefined);
  if (address) {
    const material = await loadKeystore(dir, hexToBytes(address.trim()), password);
    return identityFromSecret(material.signingKey);
  }
  const ca = generateIdentity();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await saveKeystore(dir, { signingKey: ca.secretKey, preKeys: [], prekeys: [] }, password);
  await writeFile(pointer, `${bytesToHex(ca.address)}\n`, { mode: 0o600 });
  return ca;
}
