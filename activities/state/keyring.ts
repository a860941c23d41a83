import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { generateIdentity, identityFromSecret, type Identity } from '../../core/crypto/index.js';
import { loadKeystore, saveKeystore } from '../../core/keys/node/keystore-file.js';
import type { ScryptParams } from '../../core/keys/keystore-format.js';

/**
 * The signing keys an engine holds (its organisation and staff): keystore files in one folder,
 * unlocked on first use and kept in memory, because scrypt costs a second per unlock and every
 * record is signed.
 */
export class EngineKeyring {
  private readonly unlocked = new Map<string, Promise<Identity>>();

  constructor(
    readonly dir: string,
    private readonly password: string,
    private readonly scrypt?: ScryptParams,
  ) {}

  async create(): Promise<Identity> {
    const identity = generateIdentity();
    await saveKeystore(
      this.dir,
      { signingKey: identity.secretKey, preKeys: [], prekeys: [] },
      this.password,
      this.scrypt,
    );
    this.unlocked.set(addressKey(identity.address), Promise.resolve(identity));
    return identity;
  }

  /** `address` as 0x-prefixed or bare hex. */
  identity(address: string): Promise<Identity> {
    const key = addressKey(hexToBytes(address.replace(/^0x/, '')));
    let pending = this.unlocked.get(key);
    if (!pending) {
      pending = loadKeystore(this.dir, hexToBytes(key), this.password).then((material) =>
        identityFromSecret(material.signingKey),
      );
      pending.catch(() => this.unlocked.delete(key));
      this.unlocked.set(key, pending);
    }
    return pending;
  }
}

const addressKey = (address: Uint8Array) => bytesToHex(address);
