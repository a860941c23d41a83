import express, { type Router } from 'express';
import { parseCid } from '../../core/storage/cid.js';
import type { ContentStore } from '../../core/storage/content-store.js';
import { StorageError } from '../../core/storage/errors.js';
import { HttpError } from './errors.js';

/** A CIDv1 in base32 of a sha2-256 block is 59 characters; anything much longer is not one of ours. */
const MAX_CID_LENGTH = 100;
/** How long one block may take; kubo may be searching the network for it. */
const BLOCK_TIMEOUT_MS = 20_000;
/** Block reads in flight at once: beyond it a browser is told to come back rather than wait behind others. */
const MAX_IN_FLIGHT = 32;

/**
 * `GET /:cid` answers one raw block of the content store, unverified: the reader re-hashes it
 * against the CID (core/storage/gateway-content.ts), so the engine is not trusted with content any
 * more than kubo is. Mounted at `/v1/blocks`. Blocks are ciphertext or UnixFS links, and their CIDs
 * are on the chain for every member to see, so the door needs no credentials. A block never
 * changes under its CID, so browsers may keep it.
 */
export function blockGatewayRoutes(store: Pick<ContentStore, 'rawBlock'>): Router {
  const router = express.Router();
  let inFlight = 0;
  router.get('/:cid', async (request, response) => {
    const text = request.params.cid;
    if (text.length > MAX_CID_LENGTH) throw new HttpError(400, `a CID is at most ${MAX_CID_LENGTH} characters`);
    let cid;
    try {
      cid = parseCid(text);
    } catch (error) {
      if (error instanceof StorageError) throw new HttpError(400, error.message);
      throw error;
    }
    if (inFlight >= MAX_IN_FLIGHT)
      throw new HttpError(503, 'the block gateway is busy; try again shortly', { 'Retry-After': '1' });
    inFlight++;
    const gone = new AbortController();
    response.once('close', () => gone.abort());
    try {
      const block = await store.rawBlock(cid, AbortSignal.any([gone.signal, AbortSignal.timeout(BLOCK_TIMEOUT_MS)]));
      response
        .type('application/vnd.ipld.raw')
        .set('Cache-Control', 'public, max-age=31536000, immutable')
        .send(Buffer.from(block.buffer, block.byteOffset, block.byteLength));
    } catch (error) {
      if (!(error instanceof StorageError)) throw error;
      if (error.code === 'NOT_FOUND') throw new HttpError(404, `block ${cid.toString()} is not in this engine's store`);
      throw new HttpError(503, 'the content store did not answer; try again shortly', { 'Retry-After': '5' });
    } finally {
      inFlight--;
    }
  });
  return router;
}
