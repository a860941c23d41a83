import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { toHex } from 'viem';
import { EngineState } from '../../activities/state/index.js';
import { generateIdentity, initPre, sign, type Identity } from '../../core/crypto/index.js';
import { createPrekeyBatch, encodePrekeyBundle } from '../../core/keys/index.js';
import { engineAudience } from '../../core/inbox/request-signature.js';
import {
  REGISTRATION_REQUEST_WINDOW_MS,
  signRegistrationRequest,
  type RegistrationContent,
} from '../../core/registration/request.js';
import { Role } from '../../core/roles.js';
import { tempDir } from '../../ops/scratch/services.js';
import { createHttpApp } from './app.js';
import { registrationRoutes } from './registration-routes.js';
import { serve } from './test-helpers.js';

let clock = Date.now();
let dir: Awaited<ReturnType<typeof tempDir>>;
let state: EngineState;
let engine: Awaited<ReturnType<typeof serve>>;

before(async () => {
  await initPre();
  dir = await tempDir('registration-routes');
  state = await EngineState.open(join(dir.path, 'engine.sqlite'), randomBytes(32));
  engine = await serve((url) =>
    createHttpApp({
      health: {},
      routes: { '/v1/registrations': registrationRoutes(state, { publicUrl: url, now: () => clock }) },
      log: () => {},
    }),
  );
});
after(async () => {
  await engine.close();
  await state.close();
  await dir.remove();
});

const contentOf = (who: Identity, extra: Partial<RegistrationContent> = {}): RegistrationContent => ({
  name: '李雷',
  role: Role.Patient,
  identity: { address: toHex(who.address), publicKey: toHex(who.publicKey) },
  ...extra,
});
const signedBy = (who: Identity, content = contentOf(who), audience = engineAudience(engine.url), at = clock) =>
  signRegistrationRequest(content, audience, (message) => sign(who.secretKey, message), at);
const post = (body: unknown) =>
  fetch(`${engine.url}/v1/registrations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const problem = async (response: Response) => ((await response.json()) as { error: string }).error;

test('a signed request with prekeys is kept pending; the same request again is the same one', async () => {
  const patient = generateIdentity();
  const { bundle } = createPrekeyBatch(patient.secretKey, 0, 3);
  const request = signedBy(patient, contentOf(patient, { prekeyBundle: toHex(encodePrekeyBundle(bundle)) }));
  const first = await post(request);
  assert.equal(first.status, 202);
  const kept = (await first.json()) as { id: string; status: string; address: string };
  assert.equal(kept.status, 'pending');
  assert.equal(kept.address, toHex(patient.address));
  const again = await post(request);
  assert.equal(((await again.json()) as { id: string }).id, kept.id);
  const status = await fetch(`${engine.url}/v1/registrations/${kept.id}`);
  assert.deepEqual(
    { status: status.status, body: ((await status.json()) as { status: string }).status },
    { status: 200, body: 'pending' },
  );
  // a second, different request for the same account is refused while the first stands
  const other = await post(signedBy(patient, contentOf(patient, { name: 'Li Lei' })));
  assert.equal(other.status, 409);
  assert.match(await problem(other), /already has a registration request/);
  await state.decideRegistrationRequest(kept.id, { status: 'registered', transactionHash: '0xab' });
  const decided = await fetch(`${engine.url}/v1/registrations/${kept.id}`);
  assert.equal(((await decided.json()) as { status: string }).status, 'registered');
});

test('a request not signed by the key it registers, for another engine, stale or malformed is refused with the reason', async () => {
  const patient = generateIdentity();
  const mallory = generateIdentity();
  const cases: Array<[unknown, RegExp]> = [
    // proof of possession: Mallory cannot register Patient's key (nor a key she does not hold)
    [signedBy(mallory, contentOf(patient)), /not signed by the key it registers/],
    [{ ...signedBy(patient), name: 'Mallory' }, /not signed by the key it registers/],
    [signedBy(patient, contentOf(patient), 'http://127.0.0.1:1'), /not this engine/],
    [signedBy(patient, contentOf(patient), undefined, clock - REGISTRATION_REQUEST_WINDOW_MS - 1), /sign a new one/],
    [signedBy(patient, contentOf(patient, { role: Role.Hospital })), /role must be patient/],
    [signedBy(patient, contentOf(patient, { name: 'a\u0007b' })), /name must hold no control characters/],
    [signedBy(patient, contentOf(patient, { name: 'x'.repeat(101) })), /name/],
    [{ ...signedBy(patient), extra: 1 }, /registration request/],
    [
      signedBy(
        patient,
        contentOf(patient, {
          role: Role.Doctor,
          prekeyBundle: toHex(encodePrekeyBundle(createPrekeyBatch(patient.secretKey, 0, 1).bundle)),
        }),
      ),
      /only a patient publishes prekeys/,
    ],
    [
      signedBy(
        patient,
        contentOf(patient, {
          prekeyBundle: toHex(encodePrekeyBundle(createPrekeyBatch(mallory.secretKey, 0, 1).bundle)),
        }),
      ),
      /prekey bundle belongs to/,
    ],
  ];
  for (const [body, expected] of cases) {
    const response = await post(body);
    assert.equal(response.status, 400, JSON.stringify(body).slice(0, 80));
    assert.match(await problem(response), expected);
  }
  const huge = await fetch(`${engine.url}/v1/registrations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'x'.repeat(40_000) }),
  });
  assert.equal(huge.status, 413);
  assert.equal((await fetch(`${engine.url}/v1/registrations/not-an-id`)).status, 400);
  assert.equal((await fetch(`${engine.url}/v1/registrations/${'0'.repeat(32)}`)).status, 404);
  assert.equal((await state.registrationRequests()).filter((r) => r.address === toHex(patient.address)).length, 0);
  clock = Date.now();
});
