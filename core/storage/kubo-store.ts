import { create, type KuboRPCClient } from 'kubo-rpc-client';
import type { CID } from 'multiformats/cid';
import { CHUNK_SIZE } from './cid.js';
import { collect, type ByteSource, type ContentStore } from './content-store.js';
import { readFileDag } from './read-dag.js';
import { StorageError } from './errors.js';
import { toAsyncChunks } from './byte-source.js';
import { redactUrl } from '../redact-url.js';

/** How long one block fetch may take before the store reports the content unavailable. */
const BLOCK_TIMEOUT_MS = 30_000;

/**
 * A kubo daemon reached over its RPC API. Adding uses kubo's own importer with the same options
 * as the embedded store; reading fetches block by block and verifies each one here, so a kubo
 * node (or anything between us and it) cannot substitute content.
 */
export class KuboContentStore implements ContentStore {
  readonly backend = 'kubo' as const;
  private readonly client: KuboRPCClient;

  constructor(private readonly apiUrl: string) {
    this.client = create({ url: apiUrl });
  }

  async put(source: ByteSource): Promise<CID> {
    const result = await this.call('add', () =>
      this.client.add(toAsyncChunks(source), {
        cidVersion: 1,
        rawLeaves: true,
        hashAlg: 'sha2-256',
        chunker: `size-${CHUNK_SIZE}`,
        pin: true,
      }),
    );
    return result.cid;
  }

  stream(cid: CID, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    return readFileDag(cid, (block, blockSignal) => this.fetchBlock(block, cid, blockSignal), signal);
  }

  rawBlock(cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    return this.fetchBlock(cid, cid, signal);
  }

  private async fetchBlock(block: CID, root: CID, signal?: AbortSignal): Promise<Uint8Array> {
    try {
      return await this.client.block.get(block, { signal, timeout: BLOCK_TIMEOUT_MS });
    } catch (error) {
      const message = (error as Error).message;
      if (/not found|timeout|deadline|context canceled/i.test(message)) {
        const content = `content ${root.toString()}`;
        const what = block.equals(root) ? content : `block ${block.toString()} of ${content}`;
        throw new StorageError(
          'NOT_FOUND',
          `${what} is not available from kubo at ${redactUrl(this.apiUrl)} (${message})`,
          {
            cause: error,
          },
        );
      }
      throw this.unavailable('block/get', error);
    }
  }

  get(cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    return collect(this.stream(cid, signal));
  }

  async has(cid: CID): Promise<boolean> {
    try {
      // offline: answer from the local blockstore instead of searching the network
      await this.client.block.stat(cid, { offline: true } as Parameters<KuboRPCClient['block']['stat']>[1]);
      return true;
    } catch (error) {
      if (/not found/i.test((error as Error).message)) return false;
      throw this.unavailable('block/stat', error);
    }
  }

  async check(): Promise<void> {
    await this.call('id', () => this.client.id());
  }

  async close(): Promise<void> {}

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.unavailable(what, error);
    }
  }

  private unavailable(what: string, error: unknown): StorageError {
    return new StorageError(
      'UNAVAILABLE',
      `kubo at ${redactUrl(this.apiUrl)} failed on ${what}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
