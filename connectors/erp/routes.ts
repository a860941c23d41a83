import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { z } from 'zod';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { EngineState, LocalIdentity, TraceCodeClaim } from '../../activities/state/index.js';
import { generateTraceCode, printedTraceCode } from '../../core/crypto/index.js';
import { Role, roleName } from '../../core/roles.js';
import { StorageError, type ContentStore } from '../../core/storage/index.js';
import { stageTraceItems } from '../../core/trace/staged-items.js';
import { MAX_BATCH_ITEMS, traceId } from '../../native/index.js';
import { sourceWorkflowId } from '../../workflows/ids.js';
import { traceEventStatusQuery, type TraceEventKind, type TraceEventResult } from '../../workflows/trace-event.js';
import type { IntakeQueue } from '../intake/queue.js';
import type { IntakeKeys } from '../intake/sealed-job.js';
import { HttpError } from '../http/errors.js';
import { authenticate } from './credentials.js';
import {
  codesRequest,
  EVENT_KINDS,
  IDEMPOTENCY_KEY_PATTERN,
  MAX_BODY_BYTES,
  MAX_PROBLEMS,
  MAX_UNUSED_CODES,
  requestSchemas,
  stepItems,
  validate,
  type BatchRequest,
  type EventStatus,
} from './schemas.js';
import { openApiDocument, renderApiReference } from './openapi.js';

export interface TraceRoutesOptions {
  state: EngineState;
  /** Where an event's items wait, sealed, for its proofs. */
  store: ContentStore;
  /** The durable intake queue: a 202 is answered only once the event is in it. */
  queue: IntakeQueue;
  /** Temporal, with the engine's payload codec: an event's state is its workflow's. */
  client: Client;
  /** The payload-codec keys: each event's item key derives from the current one. */
  keys: IntakeKeys;
  /** Items per proof; tests make it small. */
  partSize?: number;
}

const ITEMS_KEY_LABEL = 'yilian/erp-items/v1';
const RETRY_AFTER = { 'Retry-After': '5' };
const KEY_REUSED =
  'this Idempotency-Key was already used by this organisation for a different request; the first stands (use a new key for a new event)';

/**
 * The key an event's staged items are sealed under: derived from the codec key, the event id and
 * the request's digest, so a retried request stages byte-identical parts (same CIDs, nothing new
 * stored) while no two requests share a key.
 */
const itemsKey = (keys: IntakeKeys, eventId: string, digest: Uint8Array) =>
  bytesToHex(hkdf(sha256, keys.current, digest, utf8ToBytes(`${ITEMS_KEY_LABEL}|${eventId}`), 32));

/** The body as JSON, checked against `schema`: 400 or 422 naming every problem, never a value. */
function checkedBody<T>(schema: z.ZodType<T>, bytes: Buffer, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    // the parser's message quotes the body
    throw new HttpError(400, 'the request body is not valid JSON');
  }
  const checked = validate<T>(schema, json);
  if (checked.ok) return checked.value;
  const { ok: _ok, ...problems } = checked;
  const count = problems.problems.length + (problems.more ?? 0);
  throw new HttpError(422, `the ${what} has ${String(count)} problem(s)`, {}, problems);
}

/** Public ids in hex, a thousand at a time so that a 100,000-item event does not hold the loop. */
async function traceIdsOf(codes: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, code] of codes.entries()) {
    if (i % 1000 === 999) await nextTurn();
    ids.push(bytesToHex(traceId(code)));
  }
  return ids;
}

/** A refused claim as the 422 an ERP can act on: each package by its JSON path. */
function claimProblems(claim: Omit<TraceCodeClaim, 'usedByOtherBody'>, organisation: string): HttpError {
  const problems = [
    ...claim.notIssued.map((i) => ({
      index: i,
      message: `was not issued to ${organisation} by POST /v1/trace/codes: a package's code must come from the engine's generator`,
    })),
    ...claim.usedByAnother.map((i) => ({ index: i, message: 'is already a package of another production batch' })),
  ].sort((a, b) => a.index - b.index);
  const listed = problems
    .slice(0, MAX_PROBLEMS)
    .map(({ index, message }) => ({ path: `$.items[${String(index)}].code`, message }));
  return new HttpError(
    422,
    `the batch has ${String(problems.length)} problem(s)`,
    {},
    {
      problems: listed,
      ...(problems.length > MAX_PROBLEMS ? { more: problems.length - MAX_PROBLEMS } : {}),
    },
  );
}

/**
 * The ERP door, mounted at `/v1/trace`: `POST /codes` (fresh trace codes for a manufacturer's
 * packages), `POST /batches`, `/shipments`, `/dispenses` (each an event of trace steps, signed by
 * the calling organisation's identity, answered 202 once durably queued) and `GET /events/:id`. An
 * organisation acts only as the identity its credential is bound to: nothing in a body names who
 * signs. A production batch takes only codes this engine issued to its manufacturer: the public id
 * is an unsalted hash of the code, so a code with less than full entropy (a serial, a counter) is
 * one anyone could guess from the chain.
 */
export function traceRoutes(options: TraceRoutesOptions): Router {
  const { state, queue, client } = options;
  const partSize = options.partSize ?? MAX_BATCH_ITEMS;
  const callers = new WeakMap<Request, LocalIdentity>();
  const caller = (request: Request) => {
    const identity = callers.get(request);
    if (!identity) throw new Error('trace routes: a handler ran before authentication');
    return identity;
  };
  const router = express.Router();
  router.use(async (request: Request, _response: Response, next: NextFunction) => {
    const auth = await authenticate(state, request.headers.authorization);
    if (!auth.ok) throw new HttpError(401, auth.problem, { 'WWW-Authenticate': 'Bearer' });
    callers.set(request, auth.identity);
    next();
  });
  const readBody = express.raw({ type: () => true, limit: MAX_BODY_BYTES });
  const jsonOnly = (request: Request, _response: Response, next: NextFunction) => {
    if (!request.is('application/json')) throw new HttpError(415, 'send the body as application/json');
    next();
  };

  router.post('/codes', jsonOnly, readBody, async (request: Request, response: Response) => {
    const identity = caller(request);
    if (identity.role !== Role.Manufacturer)
      throw new HttpError(
        403,
        `${identity.name} is a ${roleName(identity.role)}: trace codes are issued to manufacturers`,
      );
    const { count } = checkedBody(codesRequest, request.body as Buffer, 'request');
    const organisation = identity.address.toLowerCase();
    const unused = await state.unusedTraceCodes(organisation);
    if (unused + count > MAX_UNUSED_CODES)
      throw new HttpError(
        429,
        `${identity.name} holds ${unused.toLocaleString('en')} unused codes and may hold at most ${MAX_UNUSED_CODES.toLocaleString('en')}: report batches with those first`,
      );
    const codes = Array.from({ length: count }, () => generateTraceCode());
    await state.issueTraceCodes(organisation, await traceIdsOf(codes));
    response
      .status(201)
      .set('Cache-Control', 'no-store')
      .json({ codes: codes.map((code) => printedTraceCode(code)) });
  });

  for (const [kind, { path, role, roleWord }] of Object.entries(EVENT_KINDS) as Array<
    [TraceEventKind, (typeof EVENT_KINDS)[TraceEventKind]]
  >) {
    const checkRequest = (request: Request, _response: Response, next: NextFunction) => {
      const identity = caller(request);
      if (identity.role !== role)
        throw new HttpError(
          403,
          `${identity.name} is a ${roleName(identity.role)}: ${kind === 'batch' ? 'batches' : `${kind}s`} are reported by ${roleWord}`,
        );
      const key = request.headers['idempotency-key'];
      if (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key))
        throw new HttpError(
          400,
          'an Idempotency-Key header of 1-100 letters, digits, ".", "_", "~" or "-" is required: the ERP’s own id for this event',
        );
      next();
    };
    router.post(path, checkRequest, jsonOnly, readBody, async (request: Request, response: Response) => {
      const identity = caller(request);
      const bytes = request.body as Buffer;
      const body = checkedBody<unknown>(requestSchemas[kind], bytes, kind);
      const source = {
        kind: 'erp' as const,
        org: identity.address.toLowerCase(),
        eventId: request.headers['idempotency-key'] as string,
      };
      const eventId = sourceWorkflowId(source);
      const digest = createHash('sha256')
        .update(`${request.method}\n${request.baseUrl}${request.path}\n`)
        .update(bytes)
        .digest();
      const claimant = { organisation: source.org, eventId, digest: bytesToHex(digest) };
      if (kind === 'batch') {
        const codes = (body as BatchRequest).items.map((item) => item.code);
        const claim = await state.claimTraceCodes(claimant, await traceIdsOf(codes));
        if (claim.usedByOtherBody.length > 0) throw new HttpError(409, KEY_REUSED);
        if (claim.notIssued.length + claim.usedByAnother.length > 0) throw claimProblems(claim, identity.name);
      }
      let items;
      try {
        items = await stageTraceItems(
          options.store,
          itemsKey(options.keys, eventId, digest),
          stepItems(kind, body, identity.name),
          partSize,
        );
      } catch (error) {
        if (error instanceof StorageError)
          throw new HttpError(
            503,
            'the content store cannot take the items now; send the same request again later',
            RETRY_AFTER,
          );
        throw error;
      }
      const participant = identity.address.toLowerCase() as `0x${string}`;
      let outcome;
      try {
        outcome = await queue.enqueue({
          key: eventId,
          digest,
          work: { workflow: 'traceEvent', input: { source, participant, kind, items } },
          channel: 'erp',
          receivedAt: new Date().toISOString(),
        });
      } catch {
        throw new HttpError(
          503,
          'the intake queue cannot take events now; send the same request again later (it is recorded once)',
          RETRY_AFTER,
        );
      }
      if (outcome === 'conflict') {
        // the queue holds another body under this key: the codes this one claimed stay free
        if (kind === 'batch') await state.releaseTraceCodes(claimant);
        throw new HttpError(409, KEY_REUSED);
      }
      response.status(202).json({ eventId, status: 'queued' });
    });
  }

  router.get('/events/:id', async (request: Request, response: Response) => {
    const identity = caller(request);
    const eventId = String(request.params.id);
    // an event id names its organisation: another one's is not even looked up
    if (!eventId.startsWith(`erp:${identity.address.toLowerCase()}:`))
      throw new HttpError(404, 'no such event of this organisation');
    response.json(await eventStatus(client, queue, eventId));
  });
  return router;
}

async function eventStatus(client: Client, queue: IntakeQueue, eventId: string): Promise<EventStatus> {
  const handle = client.workflow.getHandle(eventId);
  let description;
  try {
    description = await handle.describe();
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    const job = await queue.lookup(eventId);
    if (!job) throw new HttpError(404, 'no such event of this organisation');
    if (job.state === 'dead')
      return { eventId, status: 'failed', reason: `the engine could not start it: ${job.lastError ?? 'unknown'}` };
    return { eventId, status: 'queued' };
  }
  switch (description.status.name) {
    case 'RUNNING': {
      const status = await handle.query(traceEventStatusQuery).catch(() => undefined);
      return status?.state === 'proving'
        ? { eventId, status: 'proving', part: status.part, parts: status.parts }
        : { eventId, status: 'proving' };
    }
    case 'COMPLETED': {
      const result = (await handle.result()) as TraceEventResult;
      return {
        eventId,
        status: 'committed',
        parts: result.parts.length,
        transactions: result.parts.map((part, index) => ({
          part: index + 1,
          items: part.items,
          transactionHash: part.transactionHash,
        })),
      };
    }
    case 'FAILED': {
      const reason = await handle.result().then(
        () => 'unknown',
        (error: unknown) =>
          error instanceof WorkflowFailedError && error.cause ? error.cause.message : 'the workflow failed',
      );
      return { eventId, status: 'failed', reason };
    }
    default:
      return { eventId, status: 'failed', reason: `its run was ${description.status.name.toLowerCase()}` };
  }
}

/** `GET /openapi.json` and `GET /docs/api`: the API's description, without authentication. */
export function apiDocumentRoutes(): { openapi: Router; docs: Router } {
  const document = openApiDocument();
  const page = renderApiReference(document);
  const openapi = express.Router();
  openapi.get('/', (_request, response) => {
    response.json(document);
  });
  const docs = express.Router();
  docs.get('/api', (_request, response) => {
    response.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'").type('html').send(page);
  });
  return { openapi, docs };
}
