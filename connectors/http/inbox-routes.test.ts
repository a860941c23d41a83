import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { toHex } from 'viem';
import { EngineState } from '../../activities/state/index.js';
import { generateIdentity, sign, type Identity } from '../../core/crypto/index.js';
import { engineAudience, INBOX_REQUEST_WINDOW_MS, signInboxRequest } from '../../core/inbox/request-signature.js';
import { tempDir } from '../../ops/scratch/services.js';
import { createHttpApp } from './app.js';
import { inboxRoutes } from './inbox-routes.js';
import { serve } from './test-helpers.js';

const owner = generateIdentity();
const address = toHex(owner.address);
let clock = Date.now();
let dir: Awaited<ReturnType<typeof tempDir>>;
let state: EngineState;
let engine: Awaited<ReturnType<typeof serve>>;
/** A second engine on the same state, at its own URL: a signature for one must not open the other. */
let other: Awaited<ReturnType<typeof serve>>;

const inboxApp = (url: string) =>
  createHttpApp({
    health: {},
    routes: { '/inbox': inboxRoutes(state, { publicUrl: url, now: () => clock }) },
    log: () => {},
  });

before(async () => {
  dir = await tempDir('inbox-routes');
  state = await EngineState.open(join(dir.path, 'engine.sqlite'), randomBytes(32));
  await state.deliver(address, 'delivery-1', Uint8Array.of(1, 2, 3));
  [engine, other] = [await serve(inboxApp), await serve(inboxApp)];
});
after(async () => {
  await Promise.all([engine.close(), other.close()]);
  await state.close();
  await dir.remove();
});

const target = (after = 0) => `/inbox/${address}?after=${after}`;
const signed = (request: { url?: string; method?: string; target?: string; by?: Identity; timeMs?: number } = {}) =>
  signInboxRequest(
    {
      audience: engineAudience(request.url ?? engine.url),
      method: request.method ?? 'GET',
      target: request.target ?? target(),
      address: toHex((request.by ?? owner).address),
    },
    (message) => sign((request.by ?? owner).secretKey, message),
    request.timeMs ?? clock,
  );
const get = async (authorization: string, at = `${engine.url}${target()}`, method = 'GET') => {
  const response = await fetch(at, { method, headers: { authorization } });
  return { status: response.status, body: method === 'HEAD' ? '' : await response.text() };
};

test('the owner reads their inbox with a signed request', async () => {
  const { status, body } = await get(signed());
  assert.equal(status, 200, body);
  assert.deepEqual(
    (JSON.parse(body) as { items: Array<{ sealed: string }> }).items.map((item) => item.sealed),
    ['AQID'],
  );
});

test('a captured header is good for one request', async () => {
  const header = signed();
  assert.equal((await get(header)).status, 200);
  for (let replay = 0; replay < 2; replay += 1) {
    const again = await get(header);
    assert.equal(again.status, 401);
    assert.match(again.body, /this signed request was already used: sign each request afresh/);
  }
  clock += INBOX_REQUEST_WINDOW_MS + 1;
  assert.match((await get(header)).body, /more than 60 s from the engine's clock/, 'and later, too old');
});

test('a header is refused with another query, path or method, and by another engine', async () => {
  const header = signed();
  const refusals = {
    'another query': await get(header, `${engine.url}${target(1)}`),
    'no query': await get(header, `${engine.url}/inbox/${address}`),
    'the path in other case': await get(
      header,
      `${engine.url}/inbox/${address.toUpperCase().replace('0X', '0x')}?after=0`,
    ),
    'another method': await get(header, `${engine.url}${target()}`, 'HEAD'),
    'another engine': await get(header, `${other.url}${target()}`),
  };
  for (const [what, answer] of Object.entries(refusals)) assert.equal(answer.status, 401, what);
  assert.match(
    refusals['another engine'].body,
    new RegExp(`the signature is not ${address}'s over GET /inbox/${address}\\?after=0 at ${other.url}`),
  );
  assert.equal((await get(header)).status, 200, 'the refusals did not spend it: each refused for what it binds');
  assert.equal((await get(signed({ url: other.url }), `${other.url}${target()}`)).status, 200);
});

test("a signed time more than a minute away is refused, and another account's signature is 403", async () => {
  for (const offset of [-INBOX_REQUEST_WINDOW_MS - 1, INBOX_REQUEST_WINDOW_MS + 1]) {
    const answer = await get(signed({ timeMs: clock + offset }));
    assert.equal(answer.status, 401);
    assert.match(answer.body, /more than 60 s from the engine's clock/);
  }
  assert.equal((await get(signed({ timeMs: clock - INBOX_REQUEST_WINDOW_MS + 1000 }))).status, 200);
  const stranger = await get(signed({ by: generateIdentity() }));
  assert.equal(stranger.status, 403);
  assert.match(stranger.body, /not by 0x/);
});
