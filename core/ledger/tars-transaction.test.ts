import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from '@noble/hashes/utils.js';
import { generateIdentity } from '../crypto/identity.js';
import { decodeTransaction, encodeTransaction, TransactionFormatError } from './tars-transaction.js';
import { inspectTransaction } from './inspect-transaction.js';
import { signTransaction } from './sign-transaction.js';
import { HELLOWORLD_SET_TX } from './go-sdk-vectors.js';

test('the go-sdk HELLOWORLD_SET_TX decodes, hashes and recovers to its known sender', () => {
  const report = inspectTransaction(HELLOWORLD_SET_TX);
  assert.equal(report.valid, true, report.problems.join('; '));
  assert.equal(report.sender, '0xfbb18d54e9ee57529cda8c7c52242efe879f064f');
  assert.equal(report.dataHash, '0xb1e82e9052f066250532968bf9ad3a05f19dba10291089a27cea931ddfc8e9b5');
  assert.equal(report.computedDataHash, report.dataHash);
  assert.equal(report.fields.chainId, 'chain0');
  assert.equal(report.fields.groupId, 'group0');
  assert.equal(report.fields.blockLimit, '522');
  assert.equal(report.fields.nonce, '161255612898668632725869040723287657533');
  assert.equal(report.fields.to, '0xa6cdc4fed96bbf8c9c013cc19200b3c8ba95c93e');
  const input = Buffer.from(String(report.fields.input).slice(2), 'hex');
  assert.equal(input.subarray(0, 4).toString('hex'), '4ed3885e', 'set(string) selector');
  assert.equal(input.subarray(68, 80).toString(), 'hello, world');
});

test('encoding the decoded vector gives back the same bytes', () => {
  assert.equal(
    bytesToHex(encodeTransaction(decodeTransaction(Buffer.from(HELLOWORLD_SET_TX, 'hex')))),
    HELLOWORLD_SET_TX,
  );
});

test('a changed field no longer matches its dataHash and is reported invalid', () => {
  const tampered = HELLOWORLD_SET_TX.replace('41020a', '41020b'); // blockLimit 522 → 523
  const report = inspectTransaction(tampered);
  assert.equal(report.valid, false);
  assert.match(report.problems.join(), /does not match the fields/);
  assert.equal(report.sender, null);
});

test('a signature that cannot verify is reported invalid', () => {
  const signatureAt = HELLOWORLD_SET_TX.indexOf('3d000041') + 8;
  const badV = `${HELLOWORLD_SET_TX.slice(0, signatureAt + 128)}02`;
  assert.match(inspectTransaction(badV).problems.join(), /signature does not verify: .*recovery byte/);
  const highR = `${HELLOWORLD_SET_TX.slice(0, signatureAt)}${'ff'.repeat(32)}${HELLOWORLD_SET_TX.slice(signatureAt + 64)}`;
  assert.equal(inspectTransaction(highR).valid, false);
});

test('bytes that are not a transaction give a clear error', () => {
  assert.throws(() => inspectTransaction('zz'), TransactionFormatError);
  assert.throws(() => inspectTransaction('1a1c26'), /not a FISCO BCOS 3.x tars transaction/);
});

test('a transaction we sign decodes and recovers to our address, with a fresh nonce each time', () => {
  const identity = generateIdentity();
  const unsigned = {
    chainId: 'chain0',
    groupId: 'group0',
    blockLimit: 1500n,
    to: 'a6cdc4fed96bbf8c9c013cc19200b3c8ba95c93e',
    input: new Uint8Array([1, 2, 3]),
  };
  const first = signTransaction(unsigned, identity.secretKey);
  const second = signTransaction(unsigned, identity.secretKey);
  assert.notEqual(first.data.nonce, second.data.nonce);
  const report = inspectTransaction(bytesToHex(encodeTransaction(first)));
  assert.equal(report.valid, true, report.problems.join('; '));
  assert.equal(report.sender, `0x${bytesToHex(identity.address)}`);
});
