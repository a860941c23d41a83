import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import { keptSecret } from '../config/kept-secret.js';

/**
 * The keystore password: YILIAN_KEYSTORE_PASSWORD in production. The embedded stack, which runs
 * its own dev chain, makes one on first start, so `./ops/up` works on a fresh clone; against an
 * external chain there is no such fallback.
 */
export async function keystorePassword(config: Config): Promise<string> {
  if (config.keystore.password) return config.keystore.password;
  if (config.chain.mode !== 'embedded') {
    throw new Error(
      'YILIAN_KEYSTORE_PASSWORD must be set when the chain is external (it unlocks the organisation keystore)',
    );
  }
  return keptSecret(config.home, '.dev-password', () => randomBytes(24).toString('base64url'));
}
