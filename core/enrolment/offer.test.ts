import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import { toHex } from 'viem';
import { identityFromSecret, sign } from '../crypto/index.js';
import { authorize } from '../operators/authorization.js';
import {
  enrolmentCodeId,
  generateEnrolmentCode,
  normalizeEnrolmentCode,
  openEnrolmentOffer,
  sealEnrolmentOffer,
  signRedemption,
  verifyRedemption,
} from './offer.js';

const CODE = 'ABCDE-12345-FGHJK-67890';
const patientSecret = new Uint8Array(32).fill(0x22);
const account = toHex(identityFromSecret(patientSecret).address);

test('enrolment code vector (docs/formats.md § Enrolment codes): its id by node:crypto HKDF, and a pinned redemption', () => {
  const id = Buffer.from(
    hkdfSync('sha256', 'ABCDE12345FGHJK67890', Buffer.alloc(0), 'yilian/enrolment-code/v1/id', 16),
  );
  assert.equal(enrolmentCodeId(CODE), id.toString('hex'));
  assert.equal(enrolmentCodeId(CODE), 'c4203c6351eaf5cc95ed5602bb975927');
  const redemption = signRedemption(
    { codeId: enrolmentCodeId(CODE), account, audience: 'https://engine.example', issuedAt: 1767225600000 },
    (message) => sign(patientSecret, message),
  );
  assert.equal(
    redemption.signature,
    '0xe4b537dd3c54a698839e6b9f7b144bd408166a4bfc5fe36649b8cfa0abf90feb2c414ebe8d2f561716e0dc29ae0d85604b100bd558fff1f6c1a82534df24688c00',
  );
  verifyRedemption(redemption);
  assert.throws(() => verifyRedemption({ ...redemption, codeId: '0'.repeat(32) }), /not signed by/);
});

test('a code is read however it is typed, and refused without being echoed when malformed', () => {
  assert.equal(normalizeEnrolmentCode(' abcde 12345-fghjk-6789o '), 'ABCDE12345FGHJK67890');
  assert.equal(normalizeEnrolmentCode('ABCDE-I2345-FGHJK-67890'), 'ABCDE12345FGHJK67890');
  for (const typed of ['ABCDE-12345', 'ABCDE-12345-FGHJK-6789U', 'ÄBCDE-12345-FGHJK-67890']) {
    assert.throws(
      () => normalizeEnrolmentCode(typed),
      (error: Error) => !error.message.includes(typed) && /enrolment code/.test(error.message),
    );
  }
  const codes = new Set(Array.from({ length: 1000 }, generateEnrolmentCode));
  assert.equal(codes.size, 1000);
  for (const code of codes) assert.match(code, /^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$/);
});

test('the sealed offer opens with its code only', () => {
  const operator = identityFromSecret(new Uint8Array(32).fill(0x11));
  const offer = authorize(
    { address: toHex(operator.address), sign: (message) => sign(operator.secretKey, message) },
    'enrolmentOffer',
    { patient: { authority: 'GOOD-HEALTH-MRN', identifier: 'MRN-1' }, codeId: enrolmentCodeId(CODE), expiresAt: 1 },
  );
  const sealed = sealEnrolmentOffer(CODE, offer);
  assert.deepEqual(openEnrolmentOffer(CODE.toLowerCase(), sealed), offer);
  assert.doesNotMatch(Buffer.from(sealed).toString('latin1'), /MRN-1/);
  assert.throws(() => openEnrolmentOffer('ABCDE-12345-FGHJK-67891', sealed), /enrolment offer/);
});
