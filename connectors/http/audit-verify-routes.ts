import express, { type Router } from 'express';
import { isGrpcServiceError, ServiceError } from '@temporalio/client';
import type { Hex } from 'viem';
import { z } from 'zod';
import { EvidenceError } from '../../core/audit/chain-evidence.js';
import { holds, type Verdict } from '../../core/audit/verdict.js';
import { LedgerError } from '../../core/ledger/errors.js';
import type { EngineState } from '../../activities/state/index.js';
import { HttpError } from './errors.js';
import { requireRegulator } from './regulator-auth.js';

/** The audits behind the routes; the engine wires them to the chain, the store and Temporal (ops/audit). */
export interface AuditVerifier {
  record(id: Hex): Promise<Verdict[]>;
  trace(id: Hex): Promise<Verdict[]>;
}

/** Audits running at once: a batch proof is seconds of CPU, and the API must keep answering others. */
const MAX_CONCURRENT_AUDITS = 2;

const idParam = (what: string) =>
  z.object({
    id: z
      .string()
      .max(66, `the ${what} is 0x and 64 hex digits`)
      .regex(/^0x[0-9a-fA-F]{64}$/, `the ${what} is 0x and 64 hex digits`)
      .transform((id) => id.toLowerCase() as Hex),
  });

/**
 * `GET /records/:id` and `GET /traces/:id` (a trace by its public id: a trace code never travels
 * to the engine), mounted at `/v1/audit/verify`. They answer integrity, authorship and timing —
 * never content, which needs the reader's key and is checked only on the reader's own machine
 * (`yilian audit verify record --wallet`). For a regulator's credential (./regulator-auth.ts). 200 with the verdicts whether or not the audit holds
 * (`holds` says); 400 naming a malformed id; 503 when the chain or Temporal is away or the audits
 * are busy.
 */
export function auditVerifyRoutes(verifier: AuditVerifier, options: { state: EngineState }): Router {
  const router = express.Router();
  router.use(requireRegulator(options.state, 'an audit'));
  let running = 0;
  const audit = async (kind: 'record' | 'trace', raw: unknown): Promise<object> => {
    const parsed = idParam(kind === 'record' ? 'record id' : 'trace id').safeParse(raw);
    if (!parsed.success) throw new HttpError(400, parsed.error.issues.map((issue) => issue.message).join('; '));
    if (running >= MAX_CONCURRENT_AUDITS)
      throw new HttpError(503, `${MAX_CONCURRENT_AUDITS} audits are running; try again shortly`, {
        'Retry-After': '5',
      });
    running++;
    try {
      const { id } = parsed.data;
      const verdicts = await verifier[kind](id);
      return { kind, id, holds: holds(verdicts), verdicts };
    } catch (error) {
      if (error instanceof LedgerError && (error.code === 'UNAVAILABLE' || error.code === 'TIMEOUT'))
        throw new HttpError(503, 'the chain node did not answer; try again shortly', { 'Retry-After': '5' });
      if (error instanceof ServiceError || isGrpcServiceError(error))
        throw new HttpError(503, 'Temporal did not answer the history look-up; try again shortly', {
          'Retry-After': '5',
        });
      if (error instanceof EvidenceError) throw new HttpError(422, error.message);
      throw error;
    } finally {
      running--;
    }
  };
  router.get('/records/:id', async (request, response) => {
    response.json(await audit('record', request.params));
  });
  router.get('/traces/:id', async (request, response) => {
    response.json(await audit('trace', request.params));
  });
  return router;
}
