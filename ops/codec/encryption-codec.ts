import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CryptoError } from '../../core/crypto/index.js';
import { NONCE_LENGTH, TAG_LENGTH } from '../../core/crypto/aead.js';
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
 * AES-256-GCM (node:crypto: every payload passes here, so it must be fast) before it leaves the process, so Temporal's database, history exports and Web UI
 * hold only ciphertext. The whole serialized payload (its metadata included) is sealed; the key
 * id, bound as associated data, is the only thing left in clear. Layout: docs/formats.md.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keyring: CodecKeyring) {}

  // synchronous work, but a failure must arrive as a rejected promise, as the SDK expects
  encode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => {
      resolve(this.seal(payloads));
    });
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => {
      resolve(this.open(payloads));
    });
  }

  private seal(payloads: Payload[]): Payload[] {
    return payloads.map((payload) => {
      const keyId = this.keyring.currentId;
      const nonce = randomBytes(NONCE_LENGTH);
      const plain = PayloadMessage.encode(payload).finish();
      const cipher = createCipheriv('aes-256-gcm', this.keyring.current, nonce).setAAD(text.encode(keyId));
      const data = new Uint8Array(Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]));
      return {
        metadata: { encoding: text.encode(ENCODING), [KEY_ID]: text.encode(keyId), [CIPHER]: text.encode(CIPHER_NAME) },
        data,
      };
    });
  }

  private open(payloads: Payload[]): Payload[] {
    return payloads.map((payload) => {
      if (decoder.decode(payload.metadata?.encoding ?? new Uint8Array()) !== ENCODING) return payload;
      const keyId = decoder.decode(payload.metadata?.[KEY_ID] ?? new Uint8Array());
      const key = this.keyring.key(keyId);
      if (!key)
        throw new Error(
          `payload encrypted with codec key "${keyId}", which this keyring does not hold (it holds ${this.keyring.ids().join(', ')})`,
        );
      const data = payload.data ?? new Uint8Array();
      if (data.length < NONCE_LENGTH + TAG_LENGTH)
        throw new CryptoError(
          'BAD_FORMAT',
          `payload sealed with codec key ${keyId}: ${data.length} bytes is too short`,
        );
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_LENGTH)).setAAD(text.encode(keyId));
      decipher.setAuthTag(data.subarray(data.length - TAG_LENGTH));
      let plain: Buffer;
      try {
        plain = Buffer.concat([
          decipher.update(data.subarray(NONCE_LENGTH, data.length - TAG_LENGTH)),
          decipher.final(),
        ]);
      } catch (cause) {
        throw new CryptoError(
          'AUTH_FAILED',
          `payload sealed with codec key ${keyId} authentication failed (altered, or another key under the same id)`,
          { cause },
        );
      }
      return PayloadMessage.decode(plain);
    });
  }
}
