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
  type PublicIdentity,
} from '../core/crypto/index.js';
import {
  decryptKeystore,
  encodePrekeyBundle,
  encryptKeystore,
  prekeyMessage,
  prekeySecret,
  type KeyEntry,
  type KeyMaterial,
  type KeystoreJson,
  type ScryptParams,
  type SignedPrekey,
} from '../core/keys/index.js';
import { INBOX_CONTEXT, inboxMessageSchema, type InboxMessage } from '../core/inbox/inbox-message.js';
import type { RecordKey, RecordLocation } from './open-record.js';

/** Where a wallet keeps its one keystore document: a folder (./node/wallet-dir.ts), later IndexedDB. */
export interface KeystoreSlot {
  /** The stored keystore JSON; throws when there is none. */
  read(): Promise<unknown>;
  write(json: KeystoreJson): Promise<void>;
}

/**
 * A person's wallet (patient, doctor, pharmacist): their signing key, the private halves of the
 * prekeys they publish and the delegatee keys they make for grants, in one keystore file that
 * never leaves their machine. The engine only ever sees public halves and sealed inbox items.
 */
export class Wallet {
  private constructor(
    private readonly slot: KeystoreSlot,
    private material: KeyMaterial,
    private readonly password: string,
    private readonly scrypt: ScryptParams | undefined,
  ) {}

  /** New keys, kept in `slot` under `password` (`scrypt` only for tests: files record their parameters). */
  static async create(slot: KeystoreSlot, password: string, scrypt?: ScryptParams): Promise<Wallet> {
    const identity = generateIdentity();
    const wallet = new Wallet(slot, { signingKey: identity.secretKey, preKeys: [], prekeys: [] }, password, scrypt);
    await wallet.save();
    return wallet;
  }

  static async open(slot: KeystoreSlot, password: string, scrypt?: ScryptParams): Promise<Wallet> {
    return new Wallet(slot, await decryptKeystore(await slot.read(), password), password, scrypt);
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
    const fresh: KeyEntry[] = Array.from({ length: count }, (_, i) => ({
      id: first + i,
      secretKey: preKeygenDelegator().secretKey,
    }));
    this.material = { ...this.material, prekeys: [...this.material.prekeys, ...fresh] };
    await this.save();
    const owner = this.signer.address;
    const prekeys = fresh.map(({ id, secretKey }) => this.signPrekey(owner, id, secretKey));
    return toHex(encodePrekeyBundle({ owner, prekeys }));
  }

  /**
   * Prekey `index` as `addPrekeys` published it: its public half and this wallet's signature over
   * it (signatures are deterministic, so the same bytes). A grant sends it along, so that an
   * engine the bundle never went to (the grantee's) can check it against the Directory.
   */
  async signedPrekey(index: number): Promise<{ publicKey: Hex; signature: Hex }> {
    await initPre();
    const { publicKey, signature } = this.signPrekey(this.signer.address, index, prekeySecret(this.material, index));
    return { publicKey: toHex(publicKey), signature: toHex(signature) };
  }

  private signPrekey(owner: Uint8Array, index: number, secretKey: Uint8Array): SignedPrekey {
    const publicKey = preDelegatorPublicKey(secretKey);
    return { index, publicKey, signature: sign(this.material.signingKey, prekeyMessage(owner, index, publicKey)) };
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
        return inboxMessageSchema.parse(
          JSON.parse(new TextDecoder().decode(openSealed(this.material.signingKey, item, INBOX_CONTEXT))),
        );
      } catch (cause) {
        throw new Error(
          `inbox item ${i} is not a valid item sealed to ${this.identity.address}: ${(cause as Error).message}`,
          { cause },
        );
      }
    });
  }

  /** Where a record from the inbox lives and the key that opens it (openRecord's inputs). */
  async recordKey(message: InboxMessage): Promise<{ location: RecordLocation; key: RecordKey }> {
    if (message.kind === 'record') {
      return {
        location: {
          recordId: message.recordId as Hex,
          cid: message.cid,
          patient: this.signer.address,
          prekeyIndex: message.prekeyIndex,
        },
        key: { kind: 'patient', prekeySecret: prekeySecret(this.material, message.prekeyIndex) },
      };
    }
    await initPre();
    const granteeKey = this.material.preKeys.find(
      (k) => toHex(preDelegateePublicKey(k.secretKey)) === message.granteeKey.toLowerCase(),
    );
    if (!granteeKey) throw new Error(`this wallet holds no secret for grantee key ${message.granteeKey.slice(0, 18)}…`);
    return {
      location: {
        recordId: message.recordId as Hex,
        cid: message.cid,
        patient: hexToBytes(message.patient as Hex),
        prekeyIndex: message.prekeyIndex,
      },
      key: {
        kind: 'grantee',
        delegateeSecret: granteeKey.secretKey,
        reencryptedKey: hexToBytes(message.reencryptedKey as Hex),
      },
    };
  }

  private async save(): Promise<void> {
    await this.slot.write(await encryptKeystore(this.material, this.password, this.scrypt));
  }
}
