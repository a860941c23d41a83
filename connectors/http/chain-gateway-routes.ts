import express, { type Router } from 'express';
import { z } from 'zod';
import { GATEWAY_READ_METHODS, type ChainGatewayInfo } from '../../core/ledger/chain-gateway.js';
import { LedgerError } from '../../core/ledger/errors.js';
import type { FiscoClient } from '../../core/ledger/fisco-client.js';
import { HttpError } from './errors.js';

/**
 * Reads in flight through the gateway at once. Each is one JSON-RPC round trip to the engine's own
 * node; past the bound a browser is told to come back rather than queue behind everyone else.
 */
const MAX_IN_FLIGHT = 32;
/** A `call`'s input is a view function's ABI-encoded arguments: a few hundred bytes in practice. */
const MAX_BODY = '64kb';

const scalar = z.union([z.string().max(32_768), z.number().int(), z.boolean()]);
const readRequest = z.strictObject({
  jsonrpc: z.literal('2.0', { error: 'jsonrpc must be "2.0"' }),
  id: z.union([z.number().int(), z.string().max(64)]),
  method: z.enum(GATEWAY_READ_METHODS, {
    error: `method must be one of the reads ${GATEWAY_READ_METHODS.join(', ')}`,
  }),
  params: z.array(scalar).max(8, 'params holds at most 8 values'),
});

/**
 * `GET /` answers the chain's id, group and Yilian's contract addresses; `POST /` forwards one
 * JSON-RPC read (./core/ledger/chain-gateway.ts lists which) to the engine's node and answers the
 * node's JSON-RPC result or error as it is. Mounted at `/v1/chain`; no credentials, since what it
 * serves is what every consortium member's node serves, and nothing in it is readable without a key.
 */
export function chainGatewayRoutes(chain: FiscoClient, info: ChainGatewayInfo): Router {
  const router = express.Router();
  let inFlight = 0;
  router.get('/', (_request, response) => {
    response.json(info);
  });
  router.post('/', express.json({ limit: MAX_BODY }), async (request, response) => {
    const parsed = readRequest.safeParse(request.body);
    if (!parsed.success) throw new HttpError(400, parsed.error.issues.map((issue) => issue.message).join('; '));
    const { id, method, params } = parsed.data;
    if (params[0] !== info.groupId) throw new HttpError(400, `params[0] must be this chain's group "${info.groupId}"`);
    if (inFlight >= MAX_IN_FLIGHT)
      throw new HttpError(503, 'the chain gateway is busy; try again shortly', { 'Retry-After': '1' });
    inFlight++;
    try {
      response.json({ jsonrpc: '2.0', id, result: await chain.rpc(method, params) });
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      const { rpcCode, rpcMessage } = error.details;
      if (rpcCode === undefined || rpcMessage === undefined)
        throw new HttpError(503, 'the chain node did not answer; try again shortly', { 'Retry-After': '5' });
      response.json({ jsonrpc: '2.0', id, error: { code: rpcCode, message: rpcMessage } });
    } finally {
      inFlight--;
    }
  });
  return router;
}
