import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import * as dagPb from '@ipld/dag-pb';
import { sha256 } from 'multiformats/hashes/sha2';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';
import { balanced } from 'ipfs-unixfs-importer/layout';
import type { ImporterOptions } from 'ipfs-unixfs-importer';
import { StorageError } from './errors.js';

/**
 * kubo's `ipfs add --cid-version=1` defaults, spelled out so that the embedded store and kubo
 * derive the same CID from the same bytes: CIDv1, raw leaves, sha2-256, fixed 256 KiB chunks,
 * balanced DAG with at most 174 links per node, single-chunk files reduced to their raw leaf.
 */
export const CHUNK_SIZE = 262_144;
export const MAX_CHILDREN_PER_NODE = 174;

export const importOptions: ImporterOptions = {
  cidVersion: 1,
  rawLeaves: true,
  reduceSingleLeafToSelf: true,
  chunker: fixedSize({ chunkSize: CHUNK_SIZE }),
  layout: balanced({ maxChildrenPerNode: MAX_CHILDREN_PER_NODE }),
};

/** The codecs a UnixFS file DAG built with `importOptions` can contain. */
const supportedCodecs = new Set([raw.code, dagPb.code]);

/** Parses a CID string, refusing anything the store could not have produced. */
export function parseCid(text: string): CID {
  let cid: CID;
  try {
    cid = CID.parse(text.trim());
  } catch (error) {
    throw new StorageError('BAD_CID', `not a valid CID: ${JSON.stringify(text)} (${(error as Error).message})`, {
      cause: error,
    });
  }
  assertSupported(cid);
  return cid;
}

export function assertSupported(cid: CID): void {
  if (cid.multihash.code !== sha256.code) {
    throw new StorageError(
      'UNSUPPORTED',
      `CID ${cid.toString()} uses multihash 0x${cid.multihash.code.toString(16)}; only sha2-256 is accepted`,
    );
  }
  if (!supportedCodecs.has(cid.code)) {
    throw new StorageError(
      'UNSUPPORTED',
      `CID ${cid.toString()} uses codec 0x${cid.code.toString(16)}; only raw and dag-pb are accepted`,
    );
  }
}
