import type { Payload, PayloadCodec, SerializationContext } from '@temporalio/common';
import proto from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CryptoError } from '../../core/crypto/index.js';
import { NONCE_LENGTH, TAG_LENGTH } from '../../core/crypto/aead.js';
import { UNSEALED_MARK } from '../../workflows/unsealed.js';
import type { CodecKeyring } from './keyring.js';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

export const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const CIPHER = 'encryption-cipher';
const CIPHER_NAME = 'AES-256-GCM';
const text = new TextEncoder();
const decoder = new TextDecoder();

/**
 * How decoding treats a payload that is not sealed with a key of the keyring:
 * - `refuse` (every worker and client): it never reaches engine code. A workflow-owned payload (a
 *   start input, a signal or query argument: what someone who can reach Temporal but holds no key
 *   could send) becomes the unsealed mark that workflows/interceptors.ts keeps from the workflow;
 *   any other (an activity's input or result) is an error.
 * - `pass` (only the operators' /codec endpoint, which displays payloads): returned as it is.
 */
export type UnsealedPayloads = 'refuse' | 'pass';

/** What decoding hands on in place of an unsealed workflow payload (see workflows/unsealed.ts). */
const unsealedMark = (payload: Payload): Payload => ({
  metadata: { encoding: text.encode('json/plain') },
  data: text.encode(
    JSON.stringify({ [UNSEALED_MARK]: decoder.decode(payload.metadata?.encoding ?? new Uint8Array()) }),
  ),
});

/**
 * Encrypts every Temporal payload (workflow inputs, results, activity arguments, signals) with
 * AES-256-GCM (node:crypto: every payload passes here, so it must be fast) before it leaves the
 * process, so Temporal's database, history exports and Web UI hold only ciphertext. The whole
 * serialized payload (its metadata included) is sealed; the key id, bound as associated data, is
 * the only thing left in clear. Layout: docs/formats.md. Holding a key is what lets a client start
 * or signal the engine's workflows: see `UnsealedPayloads`.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(
    private readonly keyring: CodecKeyring,
    private readonly unsealed: UnsealedPayloads = 'refuse',
  ) {}

  // synchronous work, but a failure must arrive as a rejected promise, as the SDK expects
  encode(payloads: Payload[]): Promise<Payload[]> {
    return new Promise((resolve) => {
      resolve(this.seal(payloads));
    });
  }

  decode(payloads: Payload[], context?: SerializationContext): Promise<Payload[]> {
    return new Promise((resolve) => {
      resolve(payloads.map((payload) => this.decodeOne(payload, context)));
    });
  }

  /** The same keys, passing unsealed payloads through: for displaying payloads, never for running them. */
  forDisplay(): EncryptionCodec {
    return new EncryptionCodec(this.keyring, 'pass');
  }

  /**
   * A payload that does not open under the keyring — not sealed at all, or claiming a key id or
   * bytes it cannot back — is refused the same way, so nobody without a key can wedge a workflow
   * with a signal the worker cannot decode.
   */
  private decodeOne(payload: Payload, context: SerializationContext | undefined): Payload {
    if (isSealed(payload)) {
      try {
        return this.open(payload);
      } catch (error) {
        if (context?.type !== 'workflow' || this.unsealed === 'pass') throw error;
        return unsealedMark(payload);
      }
    }
    if (this.unsealed === 'pass') return payload;
    if (context?.type === 'workflow') return unsealedMark(payload);
    const encoding = decoder.decode(payload.metadata?.encoding ?? new Uint8Array()) || 'none';
    throw new Error(`payload (encoding ${encoding}) is not sealed with the engine's codec key: refused`);
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

  private open(payload: Payload): Payload {
    const keyId = decoder.decode(payload.metadata?.[KEY_ID] ?? new Uint8Array());
    const key = this.keyring.key(keyId);
    if (!key)
      throw new Error(
        `payload encrypted with codec key "${keyId}", which this keyring does not hold (it holds ${this.keyring.ids().join(', ')})`,
      );
    const data = payload.data ?? new Uint8Array();
    if (data.length < NONCE_LENGTH + TAG_LENGTH)
      throw new CryptoError('BAD_FORMAT', `payload sealed with codec key ${keyId}: ${data.length} bytes is too short`);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_LENGTH)).setAAD(text.encode(keyId));
    decipher.setAuthTag(data.subarray(data.length - TAG_LENGTH));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(NONCE_LENGTH, data.length - TAG_LENGTH)), decipher.final()]);
    } catch (cause) {
      throw new CryptoError(
        'AUTH_FAILED',
        `payload sealed with codec key ${keyId} authentication failed (altered, or another key under the same id)`,
        { cause },
      );
    }
    return PayloadMessage.decode(plain);
  }
}

function isSealed(payload: Payload): boolean {
  return decoder.decode(payload.metadata?.encoding ?? new Uint8Array()) === ENCODING;
}
