import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from '@noble/hashes/utils.js';
import { decodeTraceBatch, encodeTraceBatch } from './batch-format.js';

test('a trace batch round-trips and has the documented layout', () => {
  const batch = [Uint8Array.of(0xaa, 0xbb), new Uint8Array(0), Uint8Array.of(0xcc)];
  const bytes = encodeTraceBatch(batch);
  assert.equal(bytesToHex(bytes), '01' + '00000003' + '00000002aabb' + '00000000' + '00000001cc');
  assert.deepEqual(decodeTraceBatch(bytes), batch);
  assert.deepEqual(decodeTraceBatch(encodeTraceBatch([])), []);
});

test('truncated, padded, lying or unknown-version batches are refused by name', () => {
  const bytes = encodeTraceBatch([Uint8Array.of(1, 2, 3)]);
  assert.throws(() => decodeTraceBatch(bytes.subarray(0, bytes.length - 1)), /trace batch: truncated at ciphertext 0/);
  assert.throws(() => decodeTraceBatch(Uint8Array.of(...bytes, 0)), /trace batch/);
  assert.throws(() => decodeTraceBatch(Uint8Array.of(0x02, ...bytes.subarray(1))), /unsupported version 0x2/);
  assert.throws(() => decodeTraceBatch(Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff)), /cannot fit/);
});
