import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineListJson, EngineListSlot } from '../engine-list.js';

/**
 * A wallet folder's engine list, `engines.json` beside its keystore. It names the organisations a
 * person is enrolled with, so it is kept as private as the keystore (0600, written atomically).
 */
export function engineListFile(dir: string): EngineListSlot {
  const path = join(dir, 'engines.json');
  return {
    async read(): Promise<unknown> {
      const text = await readFile(path, 'utf8').catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      });
      if (text === undefined) return undefined;
      try {
        return JSON.parse(text);
      } catch (cause) {
        throw new Error(`${path} is not valid JSON`, { cause });
      }
    },
    async write(list: EngineListJson): Promise<void> {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify(list, null, 2)}\n`, { mode: 0o600 });
      await rename(tmp, path);
    },
  };
}
