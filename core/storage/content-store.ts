import type { CID } from 'multiformats/cid';

export type ByteSource = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/**
 * Content-addressed storage for encrypted records and trace steps. Both backends produce the CID
 * kubo would (see `importOptions`) and verify every block they read against its CID.
 */
export interface ContentStore {
  readonly backend: 'embedded' | 'kubo';
  /** Stores the bytes, streaming them chunk by chunk, and returns the root CID. */
  put(source: ByteSource): Promise<CID>;
  /** Streams the content back, each chunk verified before it is yielded. */
  stream(cid: CID, signal?: AbortSignal): AsyncIterable<Uint8Array>;
  /** Reads the whole content into memory; for payloads that fit. */
  get(cid: CID, signal?: AbortSignal): Promise<Uint8Array>;
  has(cid: CID): Promise<boolean>;
  /**
   * One block's bytes exactly as the store holds them, unverified: for an auditor, who re-hashes
   * every block itself rather than take the store's word (core/audit).
   */
  rawBlock(cid: CID, signal?: AbortSignal): Promise<Uint8Array>;
  /** Throws a StorageError when the store cannot be used. */
  check(): Promise<void>;
  close(): Promise<void>;
}

export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    parts.push(chunk);
    length += chunk.length;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
