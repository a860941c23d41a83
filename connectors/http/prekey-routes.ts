import express, { type Router } from 'express';
import { WorkflowFailedError } from '@temporalio/client';
import { z } from 'zod';
import type { EngineState } from '../../activities/state/index.js';
import { MAX_BUNDLE_HEX, MAX_REGISTRATION_PREKEYS } from '../../core/registration/request.js';
import type { WorkflowStarter } from '../../workflows/starter.js';
import { HttpError, workflowRefusal } from './errors.js';

/**
 * Unclaimed prekeys one patient may keep in the pool: each hospital record claims one, so a
 * wallet tops up as they are used; the bound keeps anyone from filling the engine's storage.
 */
export const MAX_UNCLAIMED_PREKEYS = 500;

const publishSchema = z.strictObject({
  owner: z.custom<`0x${string}`>(
    (value) => typeof value === 'string' && /^0x[0-9a-f]{40}$/.test(value),
    'owner must be 0x and 40 lowercase hex digits',
  ),
  bundle: z.custom<`0x${string}`>(
    (value) => typeof value === 'string' && value.length <= 2 + MAX_BUNDLE_HEX && /^0x([0-9a-f]{2})+$/.test(value),
    `bundle must be 0x and hex, at most ${MAX_REGISTRATION_PREKEYS} prekeys`,
  ),
});

/**
 * `POST /v1/prekeys`: a patient's wallet publishes more one-time prekeys. Every prekey is signed
 * by the owner's key, and the workflow checks each against the owner's Directory entry, so the
 * request needs no other credential; the same bundle again is the same run. Answers
 * `{ unclaimed }`.
 */
export function prekeyRoutes(state: EngineState, workflows: Pick<WorkflowStarter, 'execute'>): Router {
  const router = express.Router();
  router.post('/', express.json({ limit: '32kb' }), async (request, response) => {
    const parsed = publishSchema.safeParse(request.body);
    if (!parsed.success) throw new HttpError(400, parsed.error.issues.map((issue) => issue.message).join('; '));
    if ((await state.unclaimedPrekeys(parsed.data.owner)) >= MAX_UNCLAIMED_PREKEYS)
      throw new HttpError(409, `${parsed.data.owner} already has ${MAX_UNCLAIMED_PREKEYS} unused prekeys here`);
    try {
      response.json(await workflows.execute.publishPrekeys(parsed.data));
    } catch (error) {
      if (error instanceof WorkflowFailedError) throw workflowRefusal('prekeys refused', error);
      throw error;
    }
  });
  return router;
}
