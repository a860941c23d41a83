import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CID } from 'multiformats/cid';
import { encodePacked, hexToBytes, keccak256, toHex } from 'viem';
import { bytesToHex } from '@noble/hashes/utils.js';
import { encodeContext } from '../crypto/envelope.js';
import { cidHashOf, contentContext, recordIdOf } from './record-format.js';

// the CID of the empty raw block (`ipfs add --cid-version=1 --raw-leaves` of 0 bytes)
const EMPTY_RAW = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';

test('the record id is keccak256(author ‖ keccak256(binary CID)), checked against an independent encoding', () => {
  const bytes = CID.parse(EMPTY_RAW).bytes;
  assert.equal(bytesToHex(bytes.subarray(0, 4)), '01551220', 'CIDv1, raw codec, sha2-256, 32-byte digest');
  assert.equal(toHex(cidHashOf(EMPTY_RAW)), keccak256(bytes));
  const author = '0x00112233445566778899aabbccddeeff00112233';
  const id = toHex(recordIdOf(hexToBytes(author), EMPTY_RAW));
  assert.equal(
    id,
    keccak256(encodePacked(['address', 'bytes32'], [author, keccak256(bytes)])),
    "Solidity's abi.encodePacked",
  );
  assert.equal(id, '0x6066dc3084e1b199ded4c0c48f319188d57dd715d4d6b3a8eb7ae812d647a439', 'pinned');
  assert.notEqual(toHex(recordIdOf(new Uint8Array(20), EMPTY_RAW)), id, 'another author, another id');
  assert.throws(() => recordIdOf(new Uint8Array(32), EMPTY_RAW), /20-byte address, not 32 bytes/);
});

test('the content context is patient address ‖ u32 prekey index, version 1', () => {
  const patient = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
  const context = contentContext(patient, 0x01020304);
  assert.equal(bytesToHex(context.recordId), '0102030405060708090a0b0c0d0e0f1011121314' + '01020304');
  assert.equal(context.version, 1);
  assert.match(bytesToHex(encodeContext(context)), /0000000100180102/, 'u32 version 1, u16 length 24, then the id');
});
