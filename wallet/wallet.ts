import { readdir } from 'node:fs/promises';
import { hexToBytes, toHex, type Hex } from 'viem';
import {
  generateIdentity,
  identityFromSecret,
  initPre,
  openSealed,
  preDelegateePublicKey,
  preDelegatorPublicKey,
  preKeygenDelegatee,
  preKeygenDelegator,
  preRekey,
  sign,
  type Identity,
} from '../core/crypto/index.js';
import {
  encodePrekeyBundle,
  loadKeystore,
  prekeyMessage,
  prekeySecret,
  saveKeystore,
  type KeyEntry,
  type KeyMaterial,
  type ScryptParams,
} from '../core/keys/index.js';
import { INBOX_CONTEXT, inboxMessageSchema, type InboxMessage, type RecordKey, type RecordLocation } from '../activities/records/index.js';
import type { PublicIdentity } from '../activities/identities/activities.js';

/**
 * A person's wallet (patient, doctor, pharmacist): their signing key, the private halves of the
 * prekeys they publish and the delegatee keys they make for grants, in one keystore file that
 * never leaves their machine. The engine only ever sees public halves and sealed inbox items.
 */
export class Wallet {
  private constructor(
    private readonly dir: string,
    private material: KeyMaterial,
    private readonly password: string,
    private readonly scrypt: ScryptParams | undefined,
  ) {}

  static async create(dir: string, password: string, scrypt?: ScryptParams): Promise<Wallet> {
    const identity = generateIdentity();
    const wallet = new Wallet(dir, { signingKey: identity.secretKey, preKeys: [], prekeys: [] }, password, scrypt);
    await wallet.save();
    return wallet;
  }

  /** Opens the one keystore in `dir`. */
  static async open(dir: string, password: string, scrypt?: ScryptParams): Promise<Wallet> {
    const files = (await readdir(dir).catch(() => [])).filter((f) => /^[0-9a-f]{40}\.json$/.test(f));
    if (files.length !== 1) throw new Error(`${dir} must hold exactly one wallet keystore, found ${files.length}`);
    const material = await loadKeystore(dir, hexToBytes(`0x${(files[0] as string).slice(0, 40)}`), password);
    return new Wallet(dir, material, password, scrypt);
  }

  private get signer(): Identity {
    return identityFromSecret(this.material.signingKey);
  }

  get identity(): PublicIdentity {
    const { address, publicKey } = this.signer;
    return { address: toHex(address), publicKey: toHex(publicKey) };
  }

  /** Signs a message with the wallet's identity key (inbox requests). */
  sign(message: Uint8Array): Uint8Array {
    return sign(this.material.signingKey, message);
  }

  /** Makes `count` new one-time prekeys, keeps their secrets, and returns the signed bundle to publish. */
  async addPrekeys(count: number): Promise<Hex> {
    await initPre();
    const first = Math.max(-1, ...this.material.prekeys.map((p) => p.id)) + 1;
    const fresh: KeyEntry[] = Array.from({ length: count }, (_, i) => ({ id: first + i, secretKey: preKeygenDelegator().secretKey }));
    this.material = { ...this.material, prekeys: [...this.material.prekeys, ...fresh] };
    await this.save();
    const owner = this.signer.address;
    const prekeys = fresh.map(({ id, secretKey }) => {
      const publicKey = preDelegatorPublicKey(secretKey);
      return { index: id, publicKey, signature: sign(this.material.signingKey, prekeyMessage(owner, id, publicKey)) };
    });
    return toHex(encodePrekeyBundle({ owner, prekeys }));
  }

  /** A fresh G2 key to receive one grant; its secret stays here under the returned id. */
  async newGranteeKey(): Promise<{ id: number; publicKey: Hex }> {
    await initPre();
    const id = Math.max(-1, ...this.material.preKeys.map((k) => k.id)) + 1;
    const { secretKey, publicKey } = preKeygenDelegatee();
    this.material = { ...this.material, preKeys: [...this.material.preKeys, { id, secretKey }] };
    await this.save();
    return { id, publicKey: toHex(publicKey) };
  }

  /** rk = granteeKey^(1/a) for the one record anchored under prekey `prekeyIndex`. */
  async rekey(prekeyIndex: number, granteeKey: Hex): Promise<Hex> {
    await initPre();
    return toHex(preRekey(prekeySecret(this.material, prekeyIndex), hexToBytes(granteeKey)));
  }

  /** Opens sealed inbox items; an item that does not open or parse is an error naming its position. */
  openInbox(sealed: readonly Uint8Array[]): InboxMessage[] {
    return sealed.map((item, i) => {
      try {
        return inboxMessageSchema.parse(JSON.parse(new TextDecoder().decode(openSealed(this.material.signingKey, item, INBOX_CONTEXT))));
      } catch (cause) {
        throw new Error(`inbox item ${i} is not a valid item sealed to ${this.identity.address}: ${(cause as Error).message}`, { cause });
      }
    });
  }

  /** Where a record from the inbox lives and the key that opens it (openRecord's inputs). */
  async recordKey(message: InboxMessage): Promise<{ location: RecordLocation; key: RecordKey }> {
    if (message.kind === 'record') {
      return {
        location: { cid: message.cid, patient: this.signer.address, prekeyIndex: message.prekeyIndex },
        key: { kind: 'patient', prekeySecret: prekeySecret(this.material, message.prekeyIndex) },
      };
    }
    await initPre();
    const granteeKey = this.material.preKeys.find((k) => toHex(preDelegateePublicKey(k.secretKey)) === message.granteeKey.toLowerCase());
    if (!granteeKey) throw new Error(`this wallet holds no secret for grantee key ${message.granteeKey.slice(0, 18)}…`);
    return {
      location: { cid: message.cid, patient: hexToBytes(message.patient as Hex), prekeyIndex: message.prekeyIndex },
      key: { kind: 'grantee', delegateeSecret: granteeKey.secretKey, reencryptedKey: hexToBytes(message.reencryptedKey as Hex) },
    };
  }

  private async save(): Promise<void> {
    await saveKeystore(this.dir, this.material, this.password, this.scrypt);
  }
}

