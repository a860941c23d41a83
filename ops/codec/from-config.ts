import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import { keptSecret } from '../config/kept-secret.js';
import { CodecKeyring } from './keyring.js';
import { EncryptionCodec } from './encryption-codec.js';

/**
 * The payload codec and its endpoint token. In production both come from YILIAN_CODEC_KEYS and
 * YILIAN_CODEC_TOKEN (every engine and worker on a namespace needs the same keys). With the
 * embedded Temporal they are made on first start and kept owner-only in `<data dir>/keys`, so
 * a restart still decrypts the histories it wrote.
 */
export async function codecFromConfig(
  config: Config,
): Promise<{ codec: EncryptionCodec; keyring: CodecKeyring; token: string }> {
  const keyring = await codecKeyringFromConfig(config);
  const token =
    config.codec.token ??
    (config.temporal.mode === 'embedded'
      ? await keptSecret(config.home, 'codec-token', () => randomBytes(24).toString('base64url'))
      : undefined);
  if (!token) throw new Error('YILIAN_CODEC_TOKEN must be set when Temporal is external (it guards /codec/decode)');
  return { codec: new EncryptionCodec(keyring), keyring, token };
}

/** The payload keys alone: what seals the intake queue's jobs, which needs no endpoint token. */
export async function codecKeyringFromConfig(config: Config): Promise<CodecKeyring> {
  if (config.temporal.mode !== 'embedded' && !config.codec.keys) {
    throw new Error(
      'YILIAN_CODEC_KEYS must be set when Temporal is external: every engine on the namespace needs the same payload keys',
    );
  }
  const keys =
    config.codec.keys ??
    (await keptSecret(config.home, 'codec-keys', () => `k1:${randomBytes(32).toString('base64')}`));
  return CodecKeyring.parse(keys);
}
