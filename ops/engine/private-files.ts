import { chmod, mkdir } from 'node:fs/promises';

/**
 * Everything an engine process or a service it starts creates is its owner's alone: folders 0700,
 * files 0600 (the umask passes to Temporal, Redis and the dev chain too). The data dir itself is
 * made 0700 even when it already exists, which also shuts files an older version left readable.
 */
export async function keepPrivate(dataDir: string): Promise<void> {
  process.umask(0o077);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
}
