import type { CID } from 'multiformats/cid';
import { collect } from './content-store.js';
import { StorageError } from './errors.js';
import { readFileDag } from './read-dag.js';

/** How long one block may take through the engine (which may itself be waiting on kubo). */
const BLOCK_TIMEOUT_MS = 30_000;

/**
 * Content read through an engine's block gateway (`/v1/blocks/:cid`) from a browser, which cannot
 * reach kubo. The engine is a block source like any other: every block is re-hashed against its
 * CID before a byte of it is used (./read-dag.ts), so an engine that substitutes content is caught.
 */
export class GatewayContent {
  constructor(private readonly origin: string) {}

  stream(cid: CID, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    return readFileDag(cid, (block, blockSignal) => this.rawBlock(block, blockSignal), signal);
  }

  get(cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    return collect(this.stream(cid, signal));
  }

  /** One block as the engine serves it, unverified (the auditor's view; `get` verifies). */
  async rawBlock(cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    const url = new URL(`/v1/blocks/${cid.toString()}`, this.origin).toString();
    const timeout = AbortSignal.timeout(BLOCK_TIMEOUT_MS);
    const response = await fetch(url, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout }).catch(
      (cause: unknown) => {
        throw new StorageError('UNAVAILABLE', `the engine's block gateway did not answer for ${cid.toString()}`, {
          cause,
        });
      },
    );
    if (response.status === 404)
      throw new StorageError('NOT_FOUND', `block ${cid.toString()} is not in the engine's content store`);
    if (!response.ok)
      throw new StorageError(
        'UNAVAILABLE',
        `the engine's block gateway answered HTTP ${response.status} for ${cid.toString()}`,
      );
    return new Uint8Array(await response.arrayBuffer());
  }
}
