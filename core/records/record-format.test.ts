import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CID } from 'multiformats/cid';
import { keccak256, toHex } from 'viem';
import { bytesToHex } from '@noble/hashes/utils.js';
import { encodeContext } from '../crypto/envelope.js';
import { contentContext, recordIdOf } from './record-format.js';

// the CID of the empty raw block (`ipfs add --cid-version=1 --raw-leaves` of 0 bytes)
const EMPTY_RAW = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';

test('the record id is keccak256 of the binary CID, checked against an independent decoding', () => {
  const bytes = CID.parse(EMPTY_RAW).bytes;
  assert.equal(bytesToHex(bytes.subarray(0, 4)), '01551220', 'CIDv1, raw codec, sha2-256, 32-byte digest');
  assert.equal(toHex(recordIdOf(EMPTY_RAW)), keccak256(bytes));
  assert.equal(toHex(recordIdOf(EMPTY_RAW)), '0x' + bytesToHex(recordIdOf(EMPTY_RAW)));
});

test('the content context is patient address ‖ u32 prekey index, version 1', () => {
  const patient = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
  const context = contentContext(patient, 0x01020304);
  assert.equal(bytesToHex(context.recordId), '0102030405060708090a0b0c0d0e0f1011121314' + '01020304');
  assert.equal(context.version, 1);
  assert.match(bytesToHex(encodeContext(context)), /0000000100180102/, 'u32 version 1, u16 length 24, then the id');
});
