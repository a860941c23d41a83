import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { EngineState, LocalIdentity } from '../../activities/state/index.js';
import { roleName } from '../../core/roles.js';
import { StorageError, type ContentStore } from '../../core/storage/index.js';
import { stageTraceItems } from '../../core/trace/staged-items.js';
import { MAX_BATCH_ITEMS } from '../../native/index.js';
import { sourceWorkflowId } from '../../workflows/ids.js';
import { traceEventStatusQuery, type TraceEventKind, type TraceEventResult } from '../../workflows/trace-event.js';
import type { IntakeQueue } from '../intake/queue.js';
import type { IntakeKeys } from '../intake/sealed-job.js';
import { HttpError } from '../http/errors.js';
import { authenticate } from './credentials.js';
import {
  EVENT_KINDS,
  IDEMPOTENCY_KEY_PATTERN,
  MAX_BODY_BYTES,
  requestSchemas,
  stepItems,
  validate,
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

/**
 * The key an event's staged items are sealed under: derived from the codec key, the event id and
 * the request's digest, so a retried request stages byte-identical parts (same CIDs, nothing new
 * stored) while no two requests share a key.
 */
const itemsKey = (keys: IntakeKeys, eventId: string, digest: Uint8Array) =>
  bytesToHex(hkdf(sha256, keys.current, digest, utf8ToBytes(`${ITEMS_KEY_LABEL}|${eventId}`), 32));

/**
 * The ERP door, mounted at `/v1/trace`: `POST /batches`, `/shipments`, `/dispenses` (each an event
 * of trace steps, signed by the calling organisation's identity, answered 202 once durably queued)
 * and `GET /events/:id`. An organisation acts only as the identity its credential is bound to:
 * nothing in a body names who signs.
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
      if (!request.is('application/json')) throw new HttpError(415, 'send the body as application/json');
      next();
    };
    router.post(path, checkRequest, readBody, async (request: Request, response: Response) => {
      const identity = caller(request);
      const bytes = request.body as Buffer;
      let json: unknown;
      try {
        json = JSON.parse(bytes.toString('utf8'));
      } catch {
        // the parser's message quotes the body
        throw new HttpError(400, 'the request body is not valid JSON');
      }
      const checked = validate<unknown>(requestSchemas[kind], json);
      if (!checked.ok) {
        const { ok: _ok, ...problems } = checked;
        const count = problems.problems.length + (problems.more ?? 0);
        throw new HttpError(422, `the ${kind} has ${String(count)} problem(s)`, {}, problems);
      }
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
      let items;
      try {
        items = await stageTraceItems(
          options.store,
          itemsKey(options.keys, eventId, digest),
          stepItems(kind, checked.value, identity.name),
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
      if (outcome === 'conflict')
        throw new HttpError(
          409,
          'this Idempotency-Key was already used by this organisation for a different request; the first stands (use a new key for a new event)',
        );
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
