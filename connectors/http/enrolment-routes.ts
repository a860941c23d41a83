import express, { type Router } from 'express';
import { WorkflowFailedError } from '@temporalio/client';
import { z } from 'zod';
import type { EngineState } from '../../activities/state/index.js';
import { CryptoError } from '../../core/crypto/index.js';
import {
  enrolmentCodeId,
  normalizeEnrolmentCode,
  openEnrolmentOffer,
  verifyRedemption,
  type EnrolmentOffer,
} from '../../core/enrolment/offer.js';
import { engineAudience } from '../../core/inbox/request-signature.js';
import type { Authorized } from '../../core/operators/authorization.js';
import type { WorkflowStarter } from '../../workflows/starter.js';
import { HttpError, workflowRefusal } from './errors.js';

export interface EnrolmentRoutesOptions {
  state: EngineState;
  /** The engine's API URL as wallets address it: a redemption signed for another engine is refused. */
  publicUrl: string;
  workflows: Pick<WorkflowStarter, 'execute'>;
  now?: () => number;
}

/** How far a redemption's signed time may be from the engine's clock. */
const REDEMPTION_WINDOW_MS = 10 * 60 * 1000;
/**
 * Wrong codes a client may send per window, and all clients together: a code has 100 random bits,
 * so guessing is hopeless anyway; the bound keeps a guesser from costing the engine anything.
 */
const FAILURES_PER_CLIENT = 10;
const FAILURES_IN_ALL = 1000;
const FAILURE_WINDOW_MS = 10 * 60 * 1000;

const bodySchema = z
  .object({
    code: z.string().max(64),
    redemption: z
      .object({
        codeId: z.string().regex(/^[0-9a-f]{32}$/),
        account: z.custom<`0x${string}`>((value) => typeof value === 'string' && /^0x[0-9a-f]{40}$/.test(value)),
        audience: z.string().max(200),
        issuedAt: z.number().int().nonnegative(),
        signature: z.custom<`0x${string}`>((value) => typeof value === 'string' && /^0x[0-9a-f]{130}$/.test(value)),
      })
      .strict(),
  })
  .strict();

/** Failed attempts by client in the current window; counts, never the codes tried. */
class FailureCount {
  private windowStart = 0;
  private readonly byClient = new Map<string, number>();
  private total = 0;

  private roll(now: number): void {
    if (now - this.windowStart < FAILURE_WINDOW_MS) return;
    this.windowStart = now;
    this.byClient.clear();
    this.total = 0;
  }

  check(client: string, now: number): void {
    this.roll(now);
    if ((this.byClient.get(client) ?? 0) >= FAILURES_PER_CLIENT || this.total >= FAILURES_IN_ALL)
      throw new HttpError(429, 'too many wrong enrolment codes; try again in 10 minutes', {
        'Retry-After': String(FAILURE_WINDOW_MS / 1000),
      });
  }

  fail(client: string): void {
    this.byClient.set(client, (this.byClient.get(client) ?? 0) + 1);
    this.total += 1;
  }
}

/**
 * `POST /v1/enrolments`: a patient's wallet redeems a one-time enrolment code
 * (core/enrolment/offer.ts) with a signature of its account; the engine opens the hospital
 * operator's sealed offer with the code and runs the enrolPatient workflow under it, which checks
 * both signatures again. Answers `{ woken }`, the records that were waiting for the patient. The
 * code is never logged or stored: only its id is looked up.
 */
export function enrolmentRoutes(options: EnrolmentRoutesOptions): Router {
  const { state } = options;
  const audience = engineAudience(options.publicUrl);
  const now = options.now ?? Date.now;
  const failures = new FailureCount();
  const router = express.Router();
  router.post('/', express.json({ limit: '4kb' }), async (request, response) => {
    const client = request.socket.remoteAddress ?? 'unknown';
    const at = now();
    failures.check(client, at);
    const refuse = (status: number, message: string): never => {
      failures.fail(client);
      throw new HttpError(status, message);
    };
    const parsed = bodySchema.safeParse(request.body);
    if (!parsed.success)
      return refuse(400, 'expected { code, redemption: { codeId, account, audience, issuedAt, signature } }');
    const { redemption } = parsed.data;
    let code: string;
    try {
      code = normalizeEnrolmentCode(parsed.data.code);
    } catch (error) {
      return refuse(400, (error as Error).message);
    }
    const codeId = enrolmentCodeId(code);
    const offer = await state.enrolmentOffer(codeId);
    if (!offer) return refuse(404, 'no enrolment offer has this code: check it with the hospital');
    if (Date.parse(offer.expiresAt) < at)
      throw new HttpError(410, `this enrolment code expired at ${offer.expiresAt}: ask the hospital for a new one`);
    if (redemption.codeId !== codeId) throw new HttpError(400, 'the redemption is signed for another code');
    if (redemption.audience !== audience)
      throw new HttpError(400, `the redemption is for ${redemption.audience}, not this engine (${audience})`);
    if (Math.abs(at - redemption.issuedAt) > REDEMPTION_WINDOW_MS)
      throw new HttpError(400, "the redemption's signed time is more than 10 minutes from the engine's clock");
    try {
      verifyRedemption(redemption);
    } catch (error) {
      if (error instanceof CryptoError) throw new HttpError(400, error.message);
      throw error;
    }
    if (!(await state.redeemEnrolmentOffer(codeId, redemption.account)))
      throw new HttpError(409, 'this enrolment code was already used');
    const signedOffer = openEnrolmentOffer(code, offer.sealed) as Authorized<EnrolmentOffer>;
    try {
      const { woken } = await options.workflows.execute.enrolPatient({
        patient: signedOffer.patient,
        account: redemption.account,
        offer: signedOffer,
        redemption,
      });
      response.json({ woken });
    } catch (error) {
      if (error instanceof WorkflowFailedError) throw workflowRefusal('enrolment failed', error);
      throw error;
    }
  });
  return router;
}
