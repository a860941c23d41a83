import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CodecKeyring } from '../../ops/codec/keyring.js';
import { EncryptionCodec } from '../../ops/codec/encryption-codec.js';
import { createHttpApp } from './app.js';
import {
  CODEC_LOGIN_ATTEMPTS,
  CODEC_LOGIN_WINDOW_MS,
  CODEC_SESSION_IDLE_MS,
  CODEC_SESSION_LIFETIME_MS,
  codecRoutes,
} from './codec-routes.js';
import { postFrom, serve } from './test-helpers.js';

const TOKEN = 'operator-token-1234';
let clock = Date.now();
let api: Awaited<ReturnType<typeof serve>>;

before(async () => {
  api = await serve(() =>
    createHttpApp({
      health: {},
      routes: {
        '/codec': codecRoutes({
          codec: new EncryptionCodec(CodecKeyring.parse(`k1:${randomBytes(32).toString('base64')}`)),
          token: TOKEN,
          allowedOrigins: [],
          now: () => clock,
        }),
      },
      log: () => {},
    }),
  );
});
after(() => api.close());

/** Signs in from 127.0.0.1 at a fresh minute, so the sign-in limit is not what a test measures. */
async function signIn(): Promise<{ cookie: string; setCookie: string }> {
  clock += CODEC_LOGIN_WINDOW_MS;
  const response = await login(TOKEN);
  assert.equal(response.status, 200, response.body);
  const setCookie = [response.headers['set-cookie'] ?? []].flat().join('\n');
  return { cookie: setCookie.split(';')[0] as string, setCookie };
}

const login = (token: string, from = '127.0.0.1') =>
  postFrom(from, `${api.url}/codec/login`, { 'content-type': 'application/x-www-form-urlencoded' }, `token=${token}`);

const decode = async (cookie: string) =>
  (
    await fetch(`${api.url}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: '{"payloads": []}',
    })
  ).status;

test('each sign-in is a session of its own, in an HttpOnly SameSite=Strict cookie for /codec', async () => {
  const [first, second] = [await signIn(), await signIn()];
  assert.notEqual(first.cookie, second.cookie, 'a new session id per sign-in');
  assert.match(first.setCookie, /; HttpOnly/);
  assert.match(first.setCookie, /; SameSite=Strict/);
  assert.match(first.setCookie, /; Path=\/codec(;|$)/);
  assert.match(first.setCookie, /; Max-Age=43200/);
  assert.doesNotMatch(first.setCookie, new RegExp(TOKEN), 'the cookie is not the token');
  assert.equal(await decode(first.cookie), 200);
  assert.equal(await decode(second.cookie), 200);
  assert.equal(await decode(`${first.cookie.split('=')[0]}=${randomBytes(32).toString('base64url')}`), 401);
});

test('signing out ends that session only, and clears the cookie', async () => {
  const [first, second] = [await signIn(), await signIn()];
  const out = await fetch(`${api.url}/codec/logout`, { method: 'POST', headers: { cookie: first.cookie } });
  assert.equal(out.status, 200);
  assert.match(out.headers.get('set-cookie') ?? '', /^yilian_codec_session=;.*Expires=Thu, 01 Jan 1970/);
  assert.equal(await decode(first.cookie), 401, 'the cookie is worth nothing after sign-out');
  assert.equal(await decode(second.cookie), 200);
});

test('a session ends after an hour unused, and after 12 hours however used', async () => {
  const idle = await signIn();
  clock += CODEC_SESSION_IDLE_MS;
  assert.equal(await decode(idle.cookie), 401, 'unused for an hour');

  const busy = await signIn();
  const started = clock;
  while (clock + CODEC_SESSION_IDLE_MS / 2 < started + CODEC_SESSION_LIFETIME_MS) {
    clock += CODEC_SESSION_IDLE_MS / 2;
    assert.equal(await decode(busy.cookie), 200, 'used every half hour, it lives');
  }
  clock = started + CODEC_SESSION_LIFETIME_MS;
  assert.equal(await decode(busy.cookie), 401, '12 hours after sign-in');
});

test('sign-in is limited per client address: 429 with Retry-After, even for the right token', async () => {
  clock += CODEC_LOGIN_WINDOW_MS;
  for (let i = 0; i < CODEC_LOGIN_ATTEMPTS; i += 1) assert.equal((await login('wrong-token-12345')).status, 401);
  const refused = await login(TOKEN);
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['retry-after'], '60');
  assert.match((JSON.parse(refused.body) as { error: string }).error, /too many sign-in attempts; try again in 60 s/);
  assert.equal(refused.headers['set-cookie'], undefined);

  assert.equal((await login(TOKEN, '127.0.0.2')).status, 200, 'another client address has its own budget');
  clock += CODEC_LOGIN_WINDOW_MS / 2;
  assert.equal((await login(TOKEN)).headers['retry-after'], '30');
  clock += CODEC_LOGIN_WINDOW_MS / 2;
  assert.equal((await login(TOKEN)).status, 200, 'a minute later');
});
