import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { keccak256, recoverAddress, toHex } from 'viem';
import { generateIdentity, identityFromSecret, sign } from '../crypto/identity.js';
import { CryptoError } from '../crypto/errors.js';
import {
  authorize,
  authorizingOperator,
  canonicalJson,
  operatorMessage,
  type Authorized,
  type OperatorSigner,
} from './authorization.js';

const signerOf = (secretKey: Uint8Array): OperatorSigner => {
  const identity = identityFromSecret(secretKey);
  return { address: `0x${bytesToHex(identity.address)}`, sign: (message) => sign(secretKey, message) };
};

// docs/formats.md § Operator authorizations
const VECTOR = {
  secretKey: '11'.repeat(32),
  operator: '0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a',
  request: { patient: { identifier: '123456', authority: 'GOOD-HEALTH-MRN' }, account: '0x' + '22'.repeat(20) },
  canonical:
    '{"account":"0x2222222222222222222222222222222222222222","patient":{"authority":"GOOD-HEALTH-MRN","identifier":"123456"}}',
  issuedAt: 1767225600000,
  signature:
    '0x53ac4ea5109487b603155a2e8ef26bbc9c4672d21d84324fe8fb540915d9ed510c3027fc96027f0deda379aabf07594c434b7146d05f63cda401af6adfcc876801',
} as const;

test('the vector: canonical JSON, message and signature, checked with node:crypto and viem', async () => {
  assert.equal(canonicalJson(VECTOR.request), VECTOR.canonical);
  const digest = createHash('sha256').update(VECTOR.canonical).digest('hex');
  const message = operatorMessage('enrolPatient', VECTOR.request, VECTOR.issuedAt);
  assert.equal(
    new TextDecoder().decode(message),
    `yilian/operator-authorization/v1\nenrolPatient\n${digest}\n${VECTOR.issuedAt}`,
  );
  const authorized = authorize(signerOf(hexToBytes(VECTOR.secretKey)), 'enrolPatient', VECTOR.request, VECTOR.issuedAt);
  assert.deepEqual(authorized.authorization, {
    operator: VECTOR.operator,
    issuedAt: VECTOR.issuedAt,
    signature: VECTOR.signature,
  });
  assert.equal(
    (await recoverAddress({ hash: keccak256(toHex(message)), signature: VECTOR.signature })).toLowerCase(),
    VECTOR.operator,
  );
  assert.equal(authorizingOperator('enrolPatient', authorized, VECTOR.issuedAt), VECTOR.operator);
});

test('any change to the request, the action or the time breaks the authorization', () => {
  const operator = signerOf(generateIdentity().secretKey);
  const now = Date.now();
  const signed = authorize(operator, 'registerIdentity', { name: 'Good Health Hospital', role: 2 }, now);
  assert.equal(authorizingOperator('registerIdentity', signed, now), operator.address);
  const refused = (
    changed: Authorized<object>,
    action: Parameters<typeof authorizingOperator>[0] = 'registerIdentity',
  ) =>
    assert.throws(
      () => authorizingOperator(action, changed, now),
      (error: unknown) => error instanceof CryptoError,
    );
  refused({ ...signed, role: 1 } as Authorized<object>);
  refused({ ...signed, name: 'Good Health Hospital ' } as Authorized<object>);
  refused({ ...signed, extra: 'field' } as Authorized<object>);
  refused(signed, 'revokeIdentity');
  refused({ ...signed, authorization: { ...signed.authorization, issuedAt: now + 1 } });
  refused({
    ...signed,
    authorization: { ...signed.authorization, operator: signerOf(generateIdentity().secretKey).address },
  });
  refused({ ...signed, authorization: { ...signed.authorization, signature: '0x00' } });
  const future = authorize(operator, 'registerIdentity', { name: 'x', role: 2 }, now + 10 * 60 * 1000);
  assert.throws(() => authorizingOperator('registerIdentity', future, now), /in the future/);
  assert.throws(
    () => authorizingOperator('registerIdentity', { name: 'x', role: 2 } as never, now),
    /carries no operator authorization/,
  );
});

test('canonical JSON sorts keys at every level and leaves out undefined members', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 'x' }], c: undefined } }),
    '{"a":{"d":[2,{"e":"x","f":1}]},"b":1}',
  );
  assert.throws(() => canonicalJson({ n: Number.NaN }), /non-finite/);
});
