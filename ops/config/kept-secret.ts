import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A secret the embedded stack makes for itself on first start and keeps owner-only in
 * `<data dir>/keys/<name>`, so that a restart finds it again. Production sets it in the
 * environment instead.
 */
export async function keptSecret(home: string, name: string, make: () => string): Promise<string> {
  const dir = join(home, 'keys');
  const file = join(dir, name);
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing) return existing.trim();
  const value = make();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  return value;
}
