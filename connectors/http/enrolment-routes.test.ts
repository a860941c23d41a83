import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { toHex } from 'viem';
import { EngineState } from '../../activities/state/index.js';
import { generateIdentity, sign, type Identity } from '../../core/crypto/index.js';
import {
  enrolmentCodeId,
  generateEnrolmentCode,
  sealEnrolmentOffer,
  signRedemption,
} from '../../core/enrolment/offer.js';
import { engineAudience } from '../../core/inbox/request-signature.js';
import { authorize } from '../../core/operators/authorization.js';
import { tempDir } from '../../ops/scratch/services.js';
import type { EnrolPatientInput } from '../../workflows/enrol-patient.js';
import { createHttpApp } from './app.js';
import { enrolmentRoutes } from './enrolment-routes.js';
import { serve } from './test-helpers.js';

const operator = generateIdentity();
let dir: Awaited<ReturnType<typeof tempDir>>;
let state: EngineState;
let engine: Awaited<ReturnType<typeof serve>>;
/** What reached the workflow: the refusals below must stop before it. */
const started: EnrolPatientInput[] = [];

before(async () => {
  dir = await tempDir('enrolment-routes');
  state = await EngineState.open(join(dir.path, 'engine.sqlite'), randomBytes(32));
  engine = await serve((url) =>
    createHttpApp({
      health: {},
      routes: {
        '/v1/enrolments': enrolmentRoutes({
          state,
          publicUrl: url,
          workflows: {
            execute: {
              enrolPatient: (input: EnrolPatientInput) => {
                started.push(input);
                return Promise.resolve({ woken: 0 });
              },
            },
          } as never,
        }),
      },
      log: () => {},
    }),
  );
});
after(async () => {
  await engine.close();
  await state.close();
  await dir.remove();
});

async function offer(expiresAt: number): Promise<string> {
  const code = generateEnrolmentCode();
  const signed = authorize(
    { address: toHex(operator.address), sign: (message) => sign(operator.secretKey, message) },
    'enrolmentOffer',
    { patient: { authority: 'GOOD-HEALTH-MRN', identifier: 'MRN-1' }, codeId: enrolmentCodeId(code), expiresAt },
  );
  await state.addEnrolmentOffer({
    codeId: signed.codeId,
    sealed: sealEnrolmentOffer(code, signed),
    expiresAt: new Date(expiresAt).toISOString(),
  });
  return code;
}

const redeem = (code: string, by: Identity, options: { codeId?: string; audience?: string } = {}) =>
  fetch(`${engine.url}/v1/enrolments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      code,
      redemption: signRedemption(
        {
          codeId: options.codeId ?? enrolmentCodeId(code),
          account: toHex(by.address),
          audience: options.audience ?? engineAudience(engine.url),
          issuedAt: Date.now(),
        },
        (message) => sign(by.secretKey, message),
      ),
    }),
  });
const refusal = async (response: Response) => ({
  status: response.status,
  error: ((await response.json()) as { error: string }).error,
});

test('a code enrols one account once: wrong, expired, used and mis-signed codes are refused before any workflow', async () => {
  const patient = generateIdentity();
  const code = await offer(Date.now() + 60_000);
  const expired = await offer(Date.now() - 1);
  assert.match((await refusal(await redeem(expired, patient))).error, /expired at/);
  assert.equal((await redeem(expired, patient)).status, 410);
  assert.deepEqual(await refusal(await redeem(code, patient, { audience: 'http://127.0.0.1:1' })), {
    status: 400,
    error: `the redemption is for http://127.0.0.1:1, not this engine (${engineAudience(engine.url)})`,
  });
  assert.equal((await redeem(code, patient, { codeId: '0'.repeat(32) })).status, 400);
  assert.equal(started.length, 0);

  assert.equal((await redeem(code, patient)).status, 200);
  const [first] = started as [EnrolPatientInput];
  assert.deepEqual(
    { patient: first.patient, account: first.account, started: started.length },
    { patient: { authority: 'GOOD-HEALTH-MRN', identifier: 'MRN-1' }, account: toHex(patient.address), started: 1 },
  );
  // the same account again is a retry; anyone else finds the code used
  assert.equal((await redeem(code, patient)).status, 200);
  assert.deepEqual(await refusal(await redeem(code, generateIdentity())), {
    status: 409,
    error: 'this enrolment code was already used',
  });
  assert.equal(started.length, 2);
});

test('wrong codes are counted per client: the eleventh in ten minutes is refused without a look-up', async () => {
  const patient = generateIdentity();
  for (let i = 0; i < 10; i++) {
    const wrong = await refusal(await redeem(generateEnrolmentCode(), patient));
    assert.deepEqual(wrong, { status: 404, error: 'no enrolment offer has this code: check it with the hospital' });
  }
  const code = await offer(Date.now() + 60_000);
  const limited = await redeem(code, patient);
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '600');
});
