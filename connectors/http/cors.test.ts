import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import { FiscoClient } from '../../core/ledger/fisco-client.js';
import { createHttpApp } from './app.js';
import { chainGatewayRoutes } from './chain-gateway-routes.js';
import { walletCorsPolicy, withCors } from './cors.js';
import { grantRoutes } from './grant-routes.js';
import { serve } from './test-helpers.js';
import { webAppHeaders } from './web-app.js';

/** Hospital B's engine, whose wallet page calls this engine (hospital A's). */
const WALLET = 'http://127.0.0.1:18081';
const STRANGER = 'https://evil.example';
const INFO = {
  chainId: 'chain0',
  groupId: 'group0',
  contracts: {
    directory: `0x${'11'.repeat(20)}`,
    recordRegistry: `0x${'22'.repeat(20)}`,
    drugTrace: `0x${'33'.repeat(20)}`,
  },
};

let api: Awaited<ReturnType<typeof serve>>;

before(async () => {
  const policy = walletCorsPolicy([WALLET]);
  api = await serve(() =>
    createHttpApp({
      health: {},
      routes: {
        // a chain client that is never asked: GET / answers the gateway's settings alone
        '/v1/chain': withCors(
          policy,
          chainGatewayRoutes(new FiscoClient({ rpcUrl: 'http://127.0.0.1:9', ...INFO }), INFO),
        ),
        '/v1/grants': withCors(policy, grantRoutes({ execute: {} as never })),
        // not a wallet route: no other origin's page may read it
        '/v1/ops': express.Router().get('/', (_request, response) => void response.json({ ok: true })),
      },
      log: () => {},
    }),
  );
});
after(() => api.close());

const preflight = (path: string, origin: string, headers: string) =>
  fetch(`${api.url}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers },
  });

test('a preflight from an allowed wallet origin is answered with its origin, the wallet’s headers and no credentials', async () => {
  const response = await preflight('/v1/grants', WALLET, 'content-type');
  assert.equal(response.status, 204);
  assert.equal(response.headers.get('access-control-allow-origin'), WALLET);
  assert.equal(response.headers.get('access-control-allow-headers'), 'authorization, content-type');
  assert.equal(response.headers.get('access-control-allow-methods'), 'GET, POST, OPTIONS');
  assert.equal(response.headers.get('access-control-allow-credentials'), null, 'no cookies ride along');
  assert.equal(response.headers.get('access-control-max-age'), '600');
  assert.match(response.headers.get('vary') ?? '', /Origin/);
  // the inbox's signed request carries authorization: allowed as well
  const inbox = await preflight('/v1/chain', WALLET, 'authorization');
  assert.equal(inbox.headers.get('access-control-allow-origin'), WALLET);
});

test('any other origin gets no CORS headers: the browser keeps the answer from its page and stops the request', async () => {
  const refused = await preflight('/v1/grants', STRANGER, 'content-type');
  assert.equal(refused.status, 204);
  assert.equal(refused.headers.get('access-control-allow-origin'), null);
  assert.equal(refused.headers.get('access-control-allow-methods'), null);
  const read = await fetch(`${api.url}/v1/chain`, { headers: { origin: STRANGER } });
  assert.equal(read.status, 200);
  assert.equal(read.headers.get('access-control-allow-origin'), null);
  assert.match(read.headers.get('vary') ?? '', /Origin/, 'a cache keeps answers apart by origin');
  // a close miss is a miss: origins are compared whole
  const other = await fetch(`${api.url}/v1/chain`, { headers: { origin: 'http://127.0.0.1:18082' } });
  assert.equal(other.headers.get('access-control-allow-origin'), null);
});

test('an allowed origin reads the answers, refusals included (the page says them in its language by status)', async () => {
  const read = await fetch(`${api.url}/v1/chain`, { headers: { origin: WALLET } });
  assert.equal(read.headers.get('access-control-allow-origin'), WALLET);
  assert.deepEqual(await read.json(), INFO);
  const refused = await fetch(`${api.url}/v1/grants`, {
    method: 'POST',
    headers: { origin: WALLET, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(refused.status, 400);
  assert.equal(refused.headers.get('access-control-allow-origin'), WALLET);
  assert.match(((await refused.json()) as { error: string }).error, /recordId/);
});

test('only the wallet’s routes answer other origins', async () => {
  const ops = await fetch(`${api.url}/v1/ops`, { headers: { origin: WALLET } });
  assert.equal(ops.status, 200);
  assert.equal(ops.headers.get('access-control-allow-origin'), null);
  const options = await preflight('/v1/ops', WALLET, 'content-type');
  assert.equal(options.headers.get('access-control-allow-origin'), null);
});

test('the app’s own wallet page may call the same engines: their origins are in its connect-src', () => {
  const csp = webAppHeaders([WALLET, 'https://yilian.hospital-b.example'])['content-security-policy'] ?? '';
  assert.match(csp, /(^|; )connect-src 'self' http:\/\/127\.0\.0\.1:18081 https:\/\/yilian\.hospital-b\.example(;|$)/);
  assert.match(webAppHeaders()['content-security-policy'] ?? '', /(^|; )connect-src 'self'(;|$)/);
});
