import express, { type Router } from 'express';
import type { EngineState } from '../../activities/state/index.js';
import { checkInboxAuthorization } from '../../core/inbox/request-signature.js';

/**
 * `GET /inbox/:address?after=<seq>`: the sealed items delivered to an account, for its wallet,
 * which proves ownership by signing the request. Answers `{items: [{seq, deliveredAt, sealed}]}`
 * with `sealed` in base64.
 */
export function inboxRoutes(state: EngineState): Router {
  const router = express.Router();
  router.get('/:address', async (request, response) => {
    const address = request.params.address.toLowerCase();
    const auth = checkInboxAuthorization(request.headers.authorization, Date.now());
    if ('problem' in auth) return void response.status(401).json({ error: auth.problem });
    if (auth.address !== address)
      return void response.status(403).json({ error: `the request is signed by ${auth.address}, not by ${address}` });
    const after = Number(request.query.after ?? 0);
    if (!Number.isSafeInteger(after) || after < 0)
      return void response.status(400).json({ error: 'after must be a non-negative integer' });
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
