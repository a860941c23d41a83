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
export async function codecFromConfig(config: Config): Promise<{ codec: EncryptionCodec; token: string }> {
  const embedded = config.temporal.mode === 'embedded';
  if (!embedded && !config.codec.keys) {
    throw new Error(
      'YILIAN_CODEC_KEYS must be set when Temporal is external: every engine on the namespace needs the same payload keys',
    );
  }
  const keys =
    config.codec.keys ??
    (await keptSecret(config.home, 'codec-keys', () => `k1:${randomBytes(32).toString('base64')}`));
  const token =
    config.codec.token ??
    (embedded ? await keptSecret(config.home, 'codec-token', () => randomBytes(24).toString('base64url')) : undefined);
  if (!token) throw new Error('YILIAN_CODEC_TOKEN must be set when Temporal is external (it guards /codec/decode)');
  return { codec: new EncryptionCodec(CodecKeyring.parse(keys)), token };
}
