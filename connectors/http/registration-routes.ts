import express, { type Router } from 'express';
import { EngineStateError, type EngineState, type KeptRegistrationRequest } from '../../activities/state/index.js';
import { CryptoError, initPre } from '../../core/crypto/index.js';
import { engineAudience } from '../../core/inbox/request-signature.js';
import { checkRegistrationRequest } from '../../core/registration/request.js';
import { HttpError } from './errors.js';

export interface RegistrationRoutesOptions {
  /** The engine's API URL as wallets address it: a request signed for another engine is refused. */
  publicUrl: string;
  /** The clock requests are checked against; tests move it. */
  now?: () => number;
}

/** A request with the most prekeys a registration may carry is ~24 KB of JSON. */
const MAX_BODY = '32kb';

/** What a wallet may learn of its request: no name or keys echoed back, only where it stands. */
const statusOf = (kept: KeptRegistrationRequest) => ({
  id: kept.id,
  address: kept.address,
  status: kept.status,
  receivedAt: kept.receivedAt,
  decidedAt: kept.decidedAt,
});

/**
 * The browser wallet's door to the CA, mounted at `/v1/registrations`: `POST /` keeps a signed
 * registration request (core/registration/request.ts) for a CA operator to approve with
 * `yilian ca approve` (202 while it waits; sending the same request again is the same request), `GET /:id` says whether
 * it is pending, registered or rejected. The engine registers nothing here: only an operator's own
 * signed authorization does.
 */
export function registrationRoutes(state: EngineState, options: RegistrationRoutesOptions): Router {
  const audience = engineAudience(options.publicUrl);
  const now = options.now ?? Date.now;
  const router = express.Router();
  router.post('/', express.json({ limit: MAX_BODY }), async (request, response) => {
    await initPre();
    let checked: ReturnType<typeof checkRegistrationRequest>;
    try {
      checked = checkRegistrationRequest(request.body, audience, now());
    } catch (error) {
      if (error instanceof CryptoError) throw new HttpError(400, error.message);
      throw error;
    }
    try {
      const kept = await state.addRegistrationRequest({
        id: checked.id,
        address: checked.request.identity.address,
        request: JSON.stringify(checked.request),
      });
      response.status(kept.status === 'pending' ? 202 : 200);
      response.json(statusOf(kept));
    } catch (error) {
      if (error instanceof EngineStateError && error.code === 'REGISTRATION_CONFLICT')
        throw new HttpError(409, error.message);
      if (error instanceof EngineStateError && error.code === 'TOO_MANY_REQUESTS')
        throw new HttpError(503, error.message, { 'Retry-After': '600' });
      throw error;
    }
  });
  router.get('/:id', async (request, response) => {
    if (!/^[0-9a-f]{32}$/.test(request.params.id))
      throw new HttpError(400, 'a registration request id is 32 lowercase hex digits');
    const kept = await state.registrationRequest(request.params.id);
    if (!kept) throw new HttpError(404, `no registration request ${request.params.id}`);
    response.json(statusOf(kept));
  });
  return router;
}
