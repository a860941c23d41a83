import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { toHex } from 'viem';
import { EngineState } from '../../activities/state/index.js';
import { generateIdentity, initPre } from '../../core/crypto/index.js';
import { createPrekeyBatch, encodePrekeyBundle } from '../../core/keys/index.js';
import { tempDir } from '../../ops/scratch/services.js';
import { createHttpApp } from './app.js';
import { MAX_UNCLAIMED_PREKEYS, prekeyRoutes } from './prekey-routes.js';
import { serve } from './test-helpers.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let state: EngineState;
let engine: Awaited<ReturnType<typeof serve>>;
let started = 0;

before(async () => {
  await initPre();
  dir = await tempDir('prekey-routes');
  state = await EngineState.open(join(dir.path, 'engine.sqlite'), randomBytes(32));
  const workflows = {
    execute: {
      publishPrekeys: () => {
        started += 1;
        return Promise.resolve({ unclaimed: 1 });
      },
    },
  };
  engine = await serve(() =>
    createHttpApp({ health: {}, routes: { '/v1/prekeys': prekeyRoutes(state, workflows as never) }, log: () => {} }),
  );
});
after(async () => {
  await engine.close();
  await state.close();
  await dir.remove();
});

const post = (body: unknown) =>
  fetch(`${engine.url}/v1/prekeys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

test('a malformed or oversized bundle is refused, and an owner with a full pool is told so, before any workflow', async () => {
  const patient = generateIdentity();
  const owner = toHex(patient.address);
  const bundle = (from: number, count: number) =>
    toHex(encodePrekeyBundle(createPrekeyBatch(patient.secretKey, from, count).bundle));
  assert.equal((await post({ owner, bundle: 'zz' })).status, 400);
  assert.equal((await post({ owner: 'alice', bundle: bundle(0, 1) })).status, 400);
  assert.equal((await post({ owner, bundle: bundle(0, 101) })).status, 400);
  assert.equal(started, 0);
  assert.equal((await post({ owner, bundle: bundle(0, 1) })).status, 200);
  await state.addPrekeys(owner, createPrekeyBatch(patient.secretKey, 1, MAX_UNCLAIMED_PREKEYS).bundle.prekeys);
  const full = await post({ owner, bundle: bundle(1000, 1) });
  assert.equal(full.status, 409);
  assert.match(((await full.json()) as { error: string }).error, /already has 500 unused prekeys/);
  assert.equal(started, 1);
});
