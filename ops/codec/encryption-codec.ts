import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { randomBytes } from '@noble/hashes/utils.js';
import { aesGcmOpen, aesGcmSeal, NONCE_LENGTH } from '../../activities/crypto/aead.js';
import type { CodecKeyring } from './keyring.js';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

export const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const CIPHER = 'encryption-cipher';
const CIPHER_NAME = 'AES-256-GCM';
const text = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encrypts every Temporal payload (workflow inputs, results, activity arguments, signals) with
 * AES-256-GCM before it leaves the process, so Temporal's database, history exports and Web UI
 * hold only ciphertext. The whole serialized payload (its metadata included) is sealed; the key
 * id, bound as associated data, is the only thing left in clear. Layout: docs/formats.md.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: CodecKeyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const keyId = this.keyring.currentId;
      const nonce = randomBytes(NONCE_LENGTH);
      const plain = PayloadMessage.encode(payload).finish();
      const sealed = aesGcmSeal(this.keyring.current, nonce, plain, text.encode(keyId));
      const data = new Uint8Array(NONCE_LENGTH + sealed.length);
      data.set(nonce);
      data.set(sealed, NONCE_LENGTH);
      return { metadata: { encoding: text.encode(ENCODING), [KEY_ID]: text.encode(keyId), [CIPHER]: text.encode(CIPHER_NAME) }, data };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (decoder.decode(payload.metadata?.encoding ?? new Uint8Array()) !== ENCODING) return payload;
      const keyId = decoder.decode(payload.metadata?.[KEY_ID] ?? new Uint8Array());
      const key = this.keyring.key(keyId);
      if (!key) throw new Error(`payload encrypted with codec key "${keyId}", which this keyring does not hold (it holds ${this.keyring.ids().join(', ')})`);
      const data = payload.data ?? new Uint8Array();
      const plain = aesGcmOpen(key, data.subarray(0, NONCE_LENGTH), data.subarray(NONCE_LENGTH), text.encode(keyId), `payload sealed with codec key ${keyId}`);
      return PayloadMessage.decode(plain);
    });
  }
}
