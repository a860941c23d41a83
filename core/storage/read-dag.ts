import type { CID } from 'multiformats/cid';
import { exporter } from 'ipfs-unixfs-exporter';
import { verifiedStorage, type BlockSource } from './verified-blocks.js';
import { StorageError } from './errors.js';

/** Streams a UnixFS file (or a single raw block) out of a block source, verifying every block. */
export async function* readFileDag(cid: CID, source: BlockSource, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const entry = await exporter(cid, verifiedStorage(source), { signal });
  if (entry.type !== 'file' && entry.type !== 'raw') {
    throw new StorageError('UNSUPPORTED', `CID ${cid.toString()} is a ${entry.type}, not a file`);
  }
  yield* entry.content({ signal });
}
