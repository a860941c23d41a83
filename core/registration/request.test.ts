import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { keccak256, recoverAddress, toHex } from 'viem';
import { identityFromSecret, sign } from '../crypto/index.js';
import { Role } from '../roles.js';
import {
  checkRegistrationRequest,
  registrationRequestId,
  registrationRequestMessage,
  signRegistrationRequest,
} from './request.js';

const secret = new Uint8Array(32).fill(0x11);
const wallet = identityFromSecret(secret);
const content = {
  name: 'Wang Fang 王芳',
  role: Role.Patient,
  identity: { address: toHex(wallet.address), publicKey: toHex(wallet.publicKey) },
};
const AUDIENCE = 'https://engine.example';
const ISSUED_AT = 1767225600000;

test('registration request vector (docs/formats.md § Registration requests), checked with node:crypto and viem', async () => {
  const signed = signRegistrationRequest(content, AUDIENCE, (message) => sign(secret, message), ISSUED_AT);
  const canonical = `{"identity":{"address":"${content.identity.address}","publicKey":"${content.identity.publicKey}"},"name":"Wang Fang 王芳","role":4}`;
  const digest = createHash('sha256').update(canonical).digest('hex');
  const message = registrationRequestMessage(content, AUDIENCE, ISSUED_AT);
  assert.equal(
    new TextDecoder().decode(message),
    `yilian/registration-request/v1\nhttps://engine.example\n${digest}\n1767225600000`,
  );
  assert.equal(digest, '64cfb0b1f1eef6ee915f97c499c4082a5b5379c29089a647af1af13cae90b6d0');
  assert.equal(
    signed.signature,
    '0x69a320e8daa0095c34e3af051772ea4fa9dc25ec44ecf7d1fe75ff59c5302d427dc50150df0982ba1152c4a76803d579d34b7096c308ef673ad39a2d2ac80f0b00',
  );
  assert.equal(
    (await recoverAddress({ hash: keccak256(message), signature: signed.signature })).toLowerCase(),
    content.identity.address,
  );
  assert.equal(registrationRequestId(signed), 'ed6e9edf03297058a98692e987f7491b');
  assert.equal(checkRegistrationRequest(signed, AUDIENCE, ISSUED_AT + 1000).id, 'ed6e9edf03297058a98692e987f7491b');
});

test('names are what the Directory shows: trimmed, no control characters, at most 100 characters', () => {
  for (const [name, problem] of [
    [' Wang', /spaces/],
    ['Wang\u0000Fang', /control characters/],
    ['x'.repeat(101), /name/],
    ['', /name/],
  ] as const) {
    const signed = signRegistrationRequest({ ...content, name }, AUDIENCE, (m) => sign(secret, m), ISSUED_AT);
    assert.throws(() => checkRegistrationRequest(signed, AUDIENCE, ISSUED_AT), problem);
  }
});

test("a doctor's request names its hospital; the signature covers it, and no other role may name one", () => {
  const doctor = {
    name: 'Dr. Bob',
    role: Role.Doctor,
    identity: content.identity,
    organisation: '0x2222222222222222222222222222222222222222' as const,
  };
  const signed = signRegistrationRequest(doctor, AUDIENCE, (message) => sign(secret, message), ISSUED_AT);
  const canonical = `{"identity":{"address":"${content.identity.address}","publicKey":"${content.identity.publicKey}"},"name":"Dr. Bob","organisation":"0x2222222222222222222222222222222222222222","role":3}`;
  const digest = createHash('sha256').update(canonical).digest('hex');
  assert.equal(
    new TextDecoder().decode(registrationRequestMessage(doctor, AUDIENCE, ISSUED_AT)),
    `yilian/registration-request/v1\nhttps://engine.example\n${digest}\n1767225600000`,
  );
  assert.equal(digest, '1f56f040c872232a466e2c005b047618c58ec5df3614ce96744abf4bc89b0fb6');
  assert.equal(
    signed.signature,
    '0xcc83814ffc44a23e444229f0f7f5d1b176c4d435322d16693b81183b87fd237e5953615ee8c0815a5c4cf35abb59f1ece707460ce1448389f906bf8a288451a401',
  );
  assert.equal(registrationRequestId(signed), 'd20bb0c412f82e2580aff1c186618511');
  assert.equal(checkRegistrationRequest(signed, AUDIENCE, ISSUED_AT).request.organisation, doctor.organisation);

  const moved = { ...signed, organisation: '0x3333333333333333333333333333333333333333' as const };
  assert.throws(() => checkRegistrationRequest(moved, AUDIENCE, ISSUED_AT), /not signed by the key it registers/);
  const patient = signRegistrationRequest(
    { ...doctor, role: Role.Patient },
    AUDIENCE,
    (message) => sign(secret, message),
    ISSUED_AT,
  );
  assert.throws(() => checkRegistrationRequest(patient, AUDIENCE, ISSUED_AT), /only a doctor names an organisation/);
  const malformed = { ...signed, organisation: '0x22' };
  assert.throws(() => checkRegistrationRequest(malformed, AUDIENCE, ISSUED_AT), /organisation must be 0x and 40/);
});
