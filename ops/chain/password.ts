import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/index.js';

/**
 * The keystore password: YILIAN_KEYSTORE_PASSWORD in production. The embedded stack, which runs
 * its own dev chain, makes one on first start and keeps it beside the keystore (owner-only), so
 * `./ops/up` works on a fresh clone; against an external chain there is no such fallback.
 */
export async function keystorePassword(config: Config): Promise<string> {
  if (config.keystore.password) return config.keystore.password;
  if (config.chain.mode !== 'embedded') {
    throw new Error('YILIAN_KEYSTORE_PASSWORD must be set when the chain is external (it unlocks the organisation keystore)');
  }
  const dir = join(config.home, 'keys');
  const file = join(dir, '.dev-password');
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing) return existing.trim();
  const password = randomBytes(24).toString('base64url');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}
