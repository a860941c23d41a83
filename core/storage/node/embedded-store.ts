import { mkdir, open, rename, rm, stat, readFile, access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { CID } from 'multiformats/cid';
import { base32 } from 'multiformats/bases/base32';
import { importByteStream } from 'ipfs-unixfs-importer';
import type { WritableStorage } from 'ipfs-unixfs-importer';
import { importOptions } from '../cid.js';
import { collect, type ByteSource, type ContentStore } from '../content-store.js';
import { readFileDag } from '../read-dag.js';
import { StorageError } from '../errors.js';
import { toAsyncChunks } from '../byte-source.js';

/**
 * Blocks as files under `<home>/blocks`, sharded by the last two characters of the CID like
 * kubo's flatfs. Each block is written to a temporary file, fsynced and renamed into place, and
 * the importer emits the root last, so a present root means the whole DAG is on disk.
 */
export class EmbeddedContentStore implements ContentStore {
  readonly backend = 'embedded' as const;
  private readonly dir: string;

  constructor(home: string) {
    this.dir = join(home, 'blocks');
  }

  private pathOf(cid: CID): string {
    const name = cid.toString(base32);
    return join(this.dir, name.slice(-3, -1), `${name}.data`);
  }

  private readonly writer: WritableStorage = {
    put: async (cid, value) => {
      const path = this.pathOf(cid);
      if (await exists(path)) return cid;
      const bytes = value instanceof Uint8Array ? value : await collect(toAsyncChunks(value));
      await mkdir(join(path, '..'), { recursive: true });
      const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      const handle = await open(temporary, 'w');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, path).catch(async (error: unknown) => {
        await rm(temporary, { force: true });
        throw error;
      });
      return cid;
    },
  };

  async put(source: ByteSource): Promise<CID> {
    const result = await importByteStream(toAsyncChunks(source), this.writer, importOptions);
    return result.cid;
  }

  stream(cid: CID, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    return readFileDag(cid, (block) => this.readBlock(block, cid), signal);
  }

  get(cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    return collect(this.stream(cid, signal));
  }

  has(cid: CID): Promise<boolean> {
    return exists(this.pathOf(cid));
  }

  rawBlock(cid: CID): Promise<Uint8Array> {
    return this.readBlock(cid, cid);
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
      await access(this.dir, constants.W_OK);
    } catch (error) {
      throw new StorageError(
        'UNAVAILABLE',
        `embedded content store ${this.dir} is not writable: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  async close(): Promise<void> {}

  private async readBlock(block: CID, root: CID): Promise<Uint8Array> {
    try {
      return await readFile(this.pathOf(block));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const content = `content ${root.toString()}`;
      const what = block.equals(root) ? content : `block ${block.toString()} of ${content}`;
      throw new StorageError('NOT_FOUND', `${what} is not in the embedded content store (${this.dir})`);
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
