import express, { type Router } from 'express';
import type { EngineState } from '../../activities/state/index.js';
import {
  checkInboxAuthorization,
  engineAudience,
  INBOX_REQUEST_WINDOW_MS,
} from '../../core/inbox/request-signature.js';
import { HttpError } from './errors.js';

export interface InboxRoutesOptions {
  /** The engine's API URL as wallets address it: a signature made for another engine is refused. */
  publicUrl: string;
  /** The clock signatures are checked against; tests move it. */
  now?: () => number;
}

/**
 * Only requests with a valid signature are remembered, but anyone can make keys, so the number is
 * bounded: beyond it the engine answers 503 rather than forget a nonce that could then be replayed.
 * Checking a signature takes about 1.1 ms (measured), so one core accepts at most ~900 a second,
 * and an entry lives at most two windows: a flood reaches ~110,000 entries, well under the bound
 * (~250 bytes each, so ~50 MB at the bound).
 */
const MAX_REMEMBERED_NONCES = 200_000;

/**
 * Nonces of accepted requests, each kept until its signed time leaves the window (after which the
 * time check refuses it anyway), so each signature serves one request.
 */
class SeenNonces {
  private readonly until = new Map<string, number>();

  /** True the first time `key` is presented within its window; remembers it until `expiresAt`. */
  firstUse(key: string, expiresAt: number, now: number): boolean {
    // arrival order is close to expiry order (signed times are within a window of arrival), so the
    // sweep stops at the first live entry and stale ones behind it go on a later pass
    for (const [seen, expiry] of this.until) {
      if (expiry > now) break;
      this.until.delete(seen);
    }
    if ((this.until.get(key) ?? 0) > now) return false;
    if (this.until.size >= MAX_REMEMBERED_NONCES) {
      const seconds = String(INBOX_REQUEST_WINDOW_MS / 1000);
      throw new HttpError(503, 'too many inbox requests in the last minute; try again shortly', {
        'Retry-After': seconds,
      });
    }
    this.until.set(key, expiresAt);
    return true;
  }
}

/**
 * `GET /inbox/:address?after=<seq>`: the sealed items delivered to an account, for its wallet,
 * which proves ownership by signing the request. Answers `{items: [{seq, deliveredAt, sealed}]}`
 * with `sealed` in base64.
 */
export function inboxRoutes(state: EngineState, options: InboxRoutesOptions): Router {
  const audience = engineAudience(options.publicUrl);
  const now = options.now ?? Date.now;
  const seen = new SeenNonces();
  const router = express.Router();
  router.get('/:address', async (request, response) => {
    const address = request.params.address.toLowerCase();
    const at = now();
    // the request line's own target, so the engine checks the path and query the wallet sent
    const received = { audience, method: request.method, target: request.originalUrl };
    const auth = checkInboxAuthorization(request.headers.authorization, received, at);
    if ('problem' in auth) throw new HttpError(401, auth.problem);
    if (!seen.firstUse(`${auth.address}:${auth.nonce}`, auth.timeMs + INBOX_REQUEST_WINDOW_MS, at))
      throw new HttpError(401, 'this signed request was already used: sign each request afresh');
    if (auth.address !== address)
      throw new HttpError(403, `the request is signed by ${auth.address}, not by ${address}`);
    const after = Number(request.query.after ?? 0);
    if (!Number.isSafeInteger(after) || after < 0) throw new HttpError(400, 'after must be a non-negative integer');
    const items = await state.inbox(address, after);
    response.json({
      items: items.map((item) => ({
        seq: item.seq,
        deliveredAt: item.deliveredAt,
        sealed: Buffer.from(item.sealed).toString('base64'),
      })),
    });
  });
  return router;
}
