import express, { type Router } from 'express';
import { isGrpcServiceError, ServiceError } from '@temporalio/client';
import type { Hex } from 'viem';
import { z } from 'zod';
import { EvidenceError } from '../../core/audit/chain-evidence.js';
import { holds, type Verdict } from '../../core/audit/verdict.js';
import { messageAnswer, messageKeyProblem, type MessageAudit } from '../../core/audit/message-audit.js';
import { LedgerError } from '../../core/ledger/errors.js';
import type { EngineState } from '../../activities/state/index.js';
import { HttpError } from './errors.js';
import { requireRegulator } from './regulator-auth.js';

/** The audits behind the routes; the engine wires them to the chain, the store, Temporal and its state (ops/audit). */
export interface AuditVerifier {
  record(id: Hex): Promise<Verdict[]>;
  trace(id: Hex): Promise<Verdict[]>;
  /** One message by its key: where the engine filed it, checked against that run's history and the chain. */
  message(key: string): Promise<MessageAudit>;
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
 * `GET /records/:id`, `GET /traces/:id` (a trace by its public id: a trace code never travels
 * to the engine) and `GET /messages/:key` (a message by its key, URL-encoded), mounted at
 * `/v1/audit/verify`. They answer integrity, authorship and timing — never content, which needs
 * the reader's key and is checked only on the reader's own machine (`yilian audit verify record
 * --wallet`). For a regulator's credential (./regulator-auth.ts). 200 with the verdicts whether or
 * not the audit holds (`holds` says), and for a message not anchored yet its state and the run
 * that holds it; 400 naming a malformed id or key; 404 for a key that names no message; 503 when
 * the chain or Temporal is away or the audits are busy.
 */
export function auditVerifyRoutes(verifier: AuditVerifier, options: { state: EngineState }): Router {
  const router = express.Router();
  router.use(requireRegulator(options.state, 'an audit'));
  let running = 0;
  const limited = async <T>(audit: () => Promise<T>): Promise<T> => {
    if (running >= MAX_CONCURRENT_AUDITS)
      throw new HttpError(503, `${MAX_CONCURRENT_AUDITS} audits are running; try again shortly`, {
        'Retry-After': '5',
      });
    running++;
    try {
      return await audit();
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
  const audit = async (kind: 'record' | 'trace', raw: unknown): Promise<object> => {
    const parsed = idParam(kind === 'record' ? 'record id' : 'trace id').safeParse(raw);
    if (!parsed.success) throw new HttpError(400, parsed.error.issues.map((issue) => issue.message).join('; '));
    const { id } = parsed.data;
    const verdicts = await limited(() => verifier[kind](id));
    return { kind, id, holds: holds(verdicts), verdicts };
  };
  router.get('/records/:id', async (request, response) => {
    response.json(await audit('record', request.params));
  });
  router.get('/traces/:id', async (request, response) => {
    response.json(await audit('trace', request.params));
  });
  router.get('/messages/:key', async (request, response) => {
    const { key } = request.params;
    const problem = messageKeyProblem(key);
    if (problem) throw new HttpError(400, problem);
    const outcome = await limited(() => verifier.message(key));
    if (outcome.state === 'unknown') throw new HttpError(404, outcome.detail);
    response.json(messageAnswer(outcome));
  });
  return router;
}
