import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import express from 'express';
import { tempDir } from '../../ops/scratch/services.js';
import { createHttpApp } from './app.js';
import { serve } from './test-helpers.js';
import { WEB_APP_HEADERS } from './web-app.js';

const INDEX = '<!doctype html><title>app</title><div id="root"></div>';
const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

let dir: Awaited<ReturnType<typeof tempDir>>;
let api: Awaited<ReturnType<typeof serve>>;

before(async () => {
  dir = await tempDir('web-app');
  await mkdir(join(dir.path, 'assets'));
  await writeFile(join(dir.path, 'index.html'), INDEX);
  await writeFile(join(dir.path, 'assets', 'index-abc.js'), 'console.log(1)');
  const v1 = express.Router().get('/things', (_request, response) => void response.json({ things: [] }));
  api = await serve(() =>
    createHttpApp({
      health: {},
      routes: { '/v1/trace': v1, '/inbox': express.Router() },
      webDist: dir.path,
      log: () => {},
    }),
  );
});
after(async () => {
  await api.close();
  await dir.remove();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${api.url}${path}`, { headers });

test('the app and its files are served with the security headers', async () => {
  for (const [path, type] of [
    ['/', /^text\/html/],
    ['/operator', /^text\/html/],
    ['/assets/index-abc.js', /javascript/],
  ] as const) {
    const response = await get(path, HTML);
    assert.equal(response.status, 200, path);
    assert.match(response.headers.get('content-type') ?? '', type, path);
    for (const [name, value] of Object.entries(WEB_APP_HEADERS)) assert.equal(response.headers.get(name), value, name);
  }
  assert.equal(await (await get('/operator', HTML)).text(), INDEX, 'an app path loads the app');
  assert.match(
    WEB_APP_HEADERS['content-security-policy'] ?? '',
    /default-src 'self'.*script-src 'self' 'wasm-unsafe-eval'/,
  );
});

test('API paths keep their JSON answers and JSON 404s, even when a browser navigates to them', async () => {
  const things = await get('/v1/trace/things', HTML);
  assert.deepEqual(await things.json(), { things: [] });
  assert.equal(things.headers.get('content-security-policy'), null, 'the API is not the app');
  for (const path of ['/v1/nothing', '/v1', '/inbox/nobody', '/healthz/x', '/assets/missing.js']) {
    const response = await get(path, path.endsWith('.js') ? {} : HTML);
    assert.equal(response.status, 404, path);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/, path);
  }
  // not a navigation: a script or fetch of an unknown path gets the JSON 404, not the app
  assert.equal((await get('/somewhere', { accept: '*/*' })).status, 404);
  const post = await fetch(`${api.url}/operator`, { method: 'POST', headers: HTML });
  assert.equal(post.status, 404, 'only GET navigations load the app');
});

test('without a build, / says how to build the app, with no stack trace', async () => {
  await rm(join(dir.path, 'index.html'));
  const response = await get('/', HTML);
  assert.equal(response.status, 503);
  const text = await response.text();
  assert.match(text, /not built/);
  assert.match(text, /\.\/ops\/bootstrap/);
  assert.match(text, /npx vite build/);
  assert.doesNotMatch(text, /\bat .*:\d+:\d+/);
  await writeFile(join(dir.path, 'index.html'), INDEX);
  assert.equal((await get('/', HTML)).status, 200, 'a build made after start-up is served at once');
});
