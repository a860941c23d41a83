import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { EngineState } from '../../activities/state/index.js';
import { CodecKeyring } from '../../ops/codec/keyring.js';
import { EncryptionCodec } from '../../ops/codec/encryption-codec.js';
import { tempDir } from '../../ops/scratch/services.js';
import { createHttpApp } from './app.js';
import { formatApiError } from './errors.js';
import { CODEC_LOGIN_WINDOW_MS, codecRoutes } from './codec-routes.js';
import { inboxRoutes } from './inbox-routes.js';
import { serve } from './test-helpers.js';

const TOKEN = 'operator-token-1234';
// markers for what must never reach the log: the token, a cookie, a request body
const COOKIE = 'yilian_codec_session=COOKIE-MARKER';
const BODY = 'BODY-MARKER';

let dir: Awaited<ReturnType<typeof tempDir>>;
let state: EngineState;
let api: Awaited<ReturnType<typeof serve>>;
const log: string[] = [];
// each case signs in at most once, in a minute of its own, so the sign-in limit stays out of the way
let clock = Date.now();

before(async () => {
  dir = await tempDir('http-errors');
  state = await EngineState.open(join(dir.path, 'engine.sqlite'), randomBytes(32));
  const broken = express.Router();
  broken.get('/', () => {
    throw new Error(`ENOENT: no such file or directory, open '${dir.path}/engine.sqlite'`);
  });
  api = await serve((url) =>
    createHttpApp({
      health: {},
      routes: {
        '/codec': codecRoutes({
          codec: new EncryptionCodec(CodecKeyring.parse(`k1:${randomBytes(32).toString('base64')}`)),
          token: TOKEN,
          allowedOrigins: [],
          now: () => clock,
        }),
        '/inbox': inboxRoutes(state, { publicUrl: url }),
        '/broken': broken,
      },
      log: (entry) => log.push(formatApiError(entry)),
    }),
  );
});
after(async () => {
  await api.close();
  await state.close();
  await dir.remove();
});

const form = { 'content-type': 'application/x-www-form-urlencoded', cookie: COOKIE };
const json = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, cookie: COOKIE };

/** One of each class of error, before and after authentication; each must be answered the same way. */
const cases: Array<{ name: string; path: string; init: RequestInit; status: number; error: RegExp }> = [
  {
    name: 'a body over the limit',
    path: '/codec/login',
    init: { method: 'POST', headers: form, body: `token=${BODY}${'x'.repeat(5000)}` },
    status: 413,
    error: /the request body is larger than this endpoint's limit of 4096 bytes/,
  },
  {
    name: 'a small gzip body that inflates over the limit',
    path: '/codec/login',
    init: {
      method: 'POST',
      headers: { ...form, 'content-encoding': 'gzip' },
      body: gzipSync(`token=${BODY}${'x'.repeat(1_000_000)}`),
    },
    status: 413,
    error: /larger than this endpoint's limit of 4096 bytes/,
  },
  {
    name: 'an unknown charset',
    path: '/codec/login',
    init: {
      method: 'POST',
      headers: { ...form, 'content-type': `${form['content-type']}; charset=klingon` },
      body: `token=${BODY}`,
    },
    status: 415,
    error: /unsupported charset "klingon"/i,
  },
  {
    name: 'an unknown content encoding',
    path: '/codec/login',
    init: { method: 'POST', headers: { ...form, 'content-encoding': 'snappy' }, body: `token=${BODY}` },
    status: 415,
    error: /unsupported Content-Encoding "snappy"/,
  },
  {
    name: 'a body that is not gzip though it says so',
    path: '/codec/login',
    init: { method: 'POST', headers: { ...form, 'content-encoding': 'gzip' }, body: `token=${BODY}` },
    status: 400,
    error: /the request body does not decompress as its Content-Encoding "gzip" says/,
  },
  {
    name: 'a form with too many fields',
    path: '/codec/login',
    init: { method: 'POST', headers: form, body: 'a&'.repeat(1001) + BODY },
    status: 413,
    error: /the form has too many fields/,
  },
  {
    name: 'a wrong token',
    path: '/codec/login',
    init: { method: 'POST', headers: form, body: `token=${BODY}` },
    status: 401,
    error: /wrong codec token/,
  },
  {
    name: 'JSON that does not parse',
    path: '/codec/decode',
    init: { method: 'POST', headers: json, body: `{"payloads": ["${BODY}"` },
    status: 400,
    error: /the request body is not valid JSON/,
  },
  {
    name: 'a body that is not JSON at all',
    path: '/codec/decode',
    init: { method: 'POST', headers: { ...json, 'content-type': 'text/plain' }, body: BODY },
    status: 400,
    error: /expected a JSON body \{"payloads"/,
  },
  {
    name: 'JSON of the wrong shape',
    path: '/codec/encode',
    init: { method: 'POST', headers: json, body: `{"payloads": [null, "${BODY}"]}` },
    status: 400,
    error: /expected a JSON body \{"payloads"/,
  },
  {
    name: 'a payload the codec cannot open',
    path: '/codec/decode',
    init: {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        payloads: [{ metadata: { encoding: Buffer.from('binary/encrypted').toString('base64') }, data: 'AAAA' }],
      }),
    },
    status: 400,
    error: /the payloads do not decode: /,
  },
  {
    name: 'a malformed percent-escape in the path',
    path: '/inbox/%E0%A4%A',
    init: { headers: { cookie: COOKIE } },
    status: 400,
    error: /the path has a malformed percent-escape/,
  },
  {
    name: 'an unsigned inbox request',
    path: `/inbox/0x${'ab'.repeat(20)}`,
    init: { headers: { cookie: COOKIE, authorization: `Bearer ${TOKEN}` } },
    status: 401,
    error: /expected Authorization: Yilian-Signature/,
  },
  {
    name: 'a path nothing answers',
    path: '/wp-admin/setup.php?token=x',
    init: {},
    status: 404,
    error: /nothing at GET "\/wp-admin\/setup\.php"/,
  },
  {
    name: 'a method a path does not answer',
    path: '/healthz',
    init: { method: 'DELETE' },
    status: 404,
    error: /nothing at DELETE "\/healthz"/,
  },
  {
    name: 'a fault inside a route',
    path: '/broken',
    init: {},
    status: 500,
    error: /^internal error \(the engine logged it\)$/,
  },
];

for (const { name, path, init, status, error } of cases) {
  test(`${name}: ${status}, in JSON saying what was wrong, with no stack or path, logged once without secrets`, async () => {
    clock += CODEC_LOGIN_WINDOW_MS;
    const logged = log.length;
    const response = await fetch(`${api.url}${path}`, init);
    const text = await response.text();
    assert.equal(response.status, status, text);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = JSON.parse(text) as { error: string };
    assert.deepEqual(Object.keys(body), ['error']);
    assert.match(body.error, error);
    for (const leak of [
      /\bat .*:\d+:\d+/,
      /node_modules/,
      /\.ts\b/,
      /<(!doctype|html|body|pre)\b/i,
      new RegExp(dir.path),
    ])
      assert.doesNotMatch(text, leak);
    const lines = log.slice(logged);
    assert.equal(lines.length, 1, `one log entry: ${lines.join(' | ')}`);
    const [line] = lines as [string];
    assert.ok(line.startsWith(`api ${status} ${init.method ?? 'GET'} `), line);
    assert.ok(line.includes(body.error), 'the log says what the client was told');
    for (const secret of [TOKEN, 'COOKIE-MARKER', BODY]) assert.ok(!line.includes(secret), `${secret} in ${line}`);
  });
}

test('a fault inside a route is logged with its stack for the operator, not shown to the client', () => {
  const line = log.find((entry) => entry.startsWith('api 500 '));
  assert.match(line ?? '', /ENOENT: no such file or directory[\s\S]*\n\s+at /);
});

test('express runs in production mode whatever NODE_ENV says', () => {
  assert.equal(createHttpApp({ health: {} }).get('env'), 'production');
});
