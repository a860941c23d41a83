import express, { type Router } from 'express';
import { WorkflowFailedError } from '@temporalio/client';
import { z } from 'zod';
import type { WorkflowStarter } from '../../workflows/starter.js';
import { HttpError, workflowRefusal } from './errors.js';

const hex = (bytes: number, what: string) =>
  z.custom<`0x${string}`>(
    (value) => typeof value === 'string' && new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`).test(value),
    `${what} must be 0x and ${bytes * 2} lowercase hex digits`,
  );
const grantSchema = z.strictObject({
  recordId: hex(32, 'recordId'),
  cid: z.string().min(1).max(128),
  patient: hex(20, 'patient'),
  prekeyIndex: z.number().int().min(0).max(0xffffffff),
  grantee: hex(20, 'grantee'),
  granteeKey: hex(96, 'granteeKey'),
  rk: hex(96, 'rk'),
  /** The record's prekey as the patient's wallet signed it, for an engine it was never published to. */
  prekey: z.strictObject({ publicKey: hex(48, 'prekey.publicKey'), signature: hex(65, 'prekey.signature') }).optional(),
});

/**
 * `POST /v1/grants`: a patient's wallet grants one record to one grantee, as `yilian record grant`
 * does. The body carries no secret: the re-encryption key was made in the wallet, and the workflow
 * accepts it only if it pairs with the record's prekey and the grantee's key (checkRekey), which
 * only the holder of the prekey's secret can make; the same grant sent again is the same run. The
 * prekey the wallet signed comes along for an engine it was never published to (the grantee's),
 * which checks the signature against the patient's Directory key.
 * Answers `{ grantee, granteeName }`.
 */
export function grantRoutes(workflows: Pick<WorkflowStarter, 'execute'>): Router {
  const router = express.Router();
  router.post('/', express.json({ limit: '4kb' }), async (request, response) => {
    const parsed = grantSchema.safeParse(request.body);
    if (!parsed.success) throw new HttpError(400, parsed.error.issues.map((issue) => issue.message).join('; '));
    try {
      response.json(await workflows.execute.grantAccess(parsed.data));
    } catch (error) {
      if (error instanceof WorkflowFailedError) throw workflowRefusal('grant refused', error);
      throw error;
    }
  });
  return router;
}
