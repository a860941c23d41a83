import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpApp } from './app.js';
import { grantRoutes } from './grant-routes.js';
import { serve } from './test-helpers.js';

let engine: Awaited<ReturnType<typeof serve>>;
let started = 0;
const received: unknown[] = [];

before(async () => {
  engine = await serve(() =>
    createHttpApp({
      health: {},
      routes: {
        '/v1/grants': grantRoutes({
          execute: {
            grantAccess: (input: unknown) => {
              started += 1;
              received.push(input);
              return Promise.resolve({ grantee: '0x', granteeName: 'x' });
            },
          },
        } as never),
      },
      log: () => {},
    }),
  );
});
after(() => engine.close());

const grant = {
  recordId: `0x${'ab'.repeat(32)}`,
  cid: 'bafkreib',
  patient: `0x${'11'.repeat(20)}`,
  prekeyIndex: 3,
  grantee: `0x${'22'.repeat(20)}`,
  granteeKey: `0x${'cd'.repeat(96)}`,
  rk: `0x${'ef'.repeat(96)}`,
};
const post = (body: unknown) =>
  fetch(`${engine.url}/v1/grants`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

test('a malformed grant is refused naming the field, before any workflow', async () => {
  for (const [body, problem] of [
    [{ ...grant, rk: '0x1234' }, /rk must be 0x and 192/],
    [{ ...grant, grantee: 'Dr. Li' }, /grantee must be 0x and 40/],
    [{ ...grant, prekeyIndex: -1 }, /expected number to be >=0|Too small/i],
    [{ ...grant, secret: 'x' }, /Unrecognized key/i],
  ] as const) {
    const response = await post(body);
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { error: string }).error, problem);
  }
  assert.equal((await post({ ...grant, cid: 'x'.repeat(5000) })).status, 413);
  assert.equal(started, 0);
  assert.equal((await post(grant)).status, 200);
  assert.equal(started, 1);
});

test("a grant may carry the record's signed prekey, whole and well-formed, and the workflow gets it as sent", async () => {
  const prekey = { publicKey: `0x${'a1'.repeat(48)}`, signature: `0x${'b2'.repeat(65)}` };
  for (const [body, problem] of [
    [{ ...grant, prekey: { ...prekey, publicKey: `0x${'a1'.repeat(96)}` } }, /prekey.publicKey must be 0x and 96/],
    [{ ...grant, prekey: { ...prekey, signature: `0x${'B2'.repeat(65)}` } }, /prekey.signature must be 0x and 130/],
    [{ ...grant, prekey: { publicKey: prekey.publicKey } }, /prekey.signature must be/],
    [{ ...grant, prekey: { ...prekey, index: 3 } }, /Unrecognized key/i],
    [{ ...grant, prekey: prekey.publicKey }, /expected object/i],
  ] as const) {
    const response = await post(body);
    assert.equal(response.status, 400, JSON.stringify(body.prekey));
    assert.match(((await response.json()) as { error: string }).error, problem);
  }
  const before = started;
  assert.equal((await post({ ...grant, prekey })).status, 200);
  assert.equal(started, before + 1);
  assert.deepEqual(received.at(-1), { ...grant, prekey });
});
