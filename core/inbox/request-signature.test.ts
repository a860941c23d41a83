import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexToBytes, toHex } from 'viem';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { generateIdentity, identityFromSecret, sign } from '../crypto/index.js';
import {
  checkInboxAuthorization,
  engineAudience,
  inboxAuthorization,
  inboxRequestMessage,
  INBOX_REQUEST_WINDOW_MS,
  signInboxRequest,
  type InboxRequest,
} from './request-signature.js';

const owner = identityFromSecret(hexToBytes(`0x${'11'.repeat(32)}`));
const address = toHex(owner.address);
const vector: InboxRequest = {
  audience: 'http://127.0.0.1:8080',
  method: 'GET',
  target: `/inbox/${address}?after=0`,
  address,
  timeMs: 1_700_000_000_000,
  nonce: '000102030405060708090a0b0c0d0e0f',
};
const received = { audience: vector.audience, method: vector.method, target: vector.target };

test('the vector in docs/formats.md § Inbox requests', () => {
  const message = inboxRequestMessage(vector);
  assert.equal(toHex(keccak_256(message)), '0x92a6ddd9039191cf8ea654a4f0fe35f1649b813e09a160ed1657ad281ddc4ce5');
  const header = inboxAuthorization(vector, sign(owner.secretKey, message));
  assert.equal(
    header,
    'Yilian-Signature 0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a:1700000000000:000102030405060708090a0b0c0d0e0f:' +
      '013ccbc10be5b7b3c09071b08ed1ab122d1c6281071c4946bb90af904632ca5f177cd92d9b681b27c6bfb8defe331f1604143e561e013fdf34f4c26101ede56300',
  );
  assert.deepEqual(checkInboxAuthorization(header, received, vector.timeMs), {
    address,
    nonce: vector.nonce,
    timeMs: vector.timeMs,
  });
});

test('a signature binds the engine, the method, the path, the query, the signer, the time and the nonce', () => {
  const header = (request: InboxRequest) =>
    inboxAuthorization(request, sign(owner.secretKey, inboxRequestMessage(request)));
  const refused = (why: string, signed: InboxRequest, at = received) => {
    const result = checkInboxAuthorization(header(signed), at, vector.timeMs);
    assert.ok('problem' in result, why);
    return result.problem;
  };
  assert.match(refused('another engine', { ...vector, audience: 'http://127.0.0.1:8081' }), /not 0x19e7.*'s over GET/);
  refused('another method', { ...vector, method: 'POST' });
  refused('another path', { ...vector, target: `/inbox/${toHex(generateIdentity().address)}?after=0` });
  refused('another query', { ...vector, target: `/inbox/${address}?after=7` });
  refused('no query', { ...vector, target: `/inbox/${address}` });
  // the header's own fields, changed after signing
  const good = header(vector);
  const [scheme, fields] = good.split(' ') as [string, string];
  const [, time, nonce, signature] = fields.split(':') as [string, string, string, string];
  const other = toHex(generateIdentity().address);
  const tampered = {
    signer: `${scheme} ${other}:${time}:${nonce}:${signature}`,
    time: `${scheme} ${address}:${Number(time) + 1}:${nonce}:${signature}`,
    nonce: `${scheme} ${address}:${time}:${'ff'.repeat(16)}:${signature}`,
  };
  for (const [field, tamperedHeader] of Object.entries(tampered))
    assert.ok('problem' in checkInboxAuthorization(tamperedHeader, received, vector.timeMs), field);
});

test('the signed time must be within a minute of the engine clock, either way', () => {
  const header = inboxAuthorization(vector, sign(owner.secretKey, inboxRequestMessage(vector)));
  const at = (offset: number) => checkInboxAuthorization(header, received, vector.timeMs + offset);
  assert.ok('address' in at(INBOX_REQUEST_WINDOW_MS));
  assert.ok('address' in at(-INBOX_REQUEST_WINDOW_MS));
  assert.match(
    (at(INBOX_REQUEST_WINDOW_MS + 1) as { problem: string }).problem,
    /more than 60 s from the engine's clock/,
  );
  assert.ok('problem' in at(-INBOX_REQUEST_WINDOW_MS - 1));
  assert.equal(INBOX_REQUEST_WINDOW_MS, 60_000);
});

test('a version 1 header, with no engine, request or nonce in it, is refused by its form', () => {
  const v1 = `Yilian-Signature ${address}:${vector.timeMs}:${'ab'.repeat(65)}`;
  assert.match(
    (checkInboxAuthorization(v1, received, vector.timeMs) as { problem: string }).problem,
    /expected Authorization: Yilian-Signature <address>:<unix ms>:<nonce hex>:<signature hex>/,
  );
});

test('each signed request gets a fresh nonce', () => {
  const request = { ...received, address };
  const nonces = new Set(
    Array.from({ length: 8 }, () => signInboxRequest(request, (m) => sign(owner.secretKey, m)).split(':')[2]),
  );
  assert.equal(nonces.size, 8);
});

test("an engine's URL is written one way, and one with credentials, a query or a fragment is refused", () => {
  assert.equal(engineAudience('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
  assert.equal(engineAudience('http://127.0.0.1:8080/'), 'http://127.0.0.1:8080');
  assert.equal(engineAudience('HTTP://LocalHost:80/'), 'http://localhost');
  assert.equal(engineAudience('https://engine.example:443/yilian/'), 'https://engine.example/yilian');
  for (const bad of [
    'ftp://engine.example',
    'http://user:secret@engine.example',
    'http://e.example/?a=1',
    'http://e.example/#x',
    'not a url',
  ])
    assert.throws(
      () => engineAudience(bad),
      (error: Error) => /must be http\(s\):\/\/host/.test(error.message) && !error.message.includes('secret'),
      bad,
    );
});
