import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../config/index.js';
import { HELLOWORLD_SET_TX } from '../../activities/ledger/go-sdk-vectors.js';

const run = promisify(execFile);
const yilian = (...args: string[]) => run(process.execPath, [join(repoRoot, 'ops/bin/yilian.mjs'), ...args]);

test('yilian chain decode-tx --json prints the fields, dataHash and sender of the go-sdk vector', async () => {
  const { stdout } = await yilian('chain', 'decode-tx', `0x${HELLOWORLD_SET_TX}`, '--json');
  const report = JSON.parse(stdout) as { valid: boolean; sender: string; dataHash: string; fields: { nonce: string } };
  assert.equal(report.valid, true);
  assert.equal(report.sender, '0xfbb18d54e9ee57529cda8c7c52242efe879f064f');
  assert.equal(report.dataHash, '0xb1e82e9052f066250532968bf9ad3a05f19dba10291089a27cea931ddfc8e9b5');
  assert.equal(report.fields.nonce, '161255612898668632725869040723287657533');
});

test('yilian chain decode-tx exits non-zero for a transaction whose fields do not match its dataHash', async () => {
  await assert.rejects(yilian('chain', 'decode-tx', HELLOWORLD_SET_TX.replace('41020a', '41020b')), (error: { code: number; stdout: string }) => {
    assert.equal(error.code, 1);
    assert.match(error.stdout, /INVALID: dataHash .* does not match the fields/);
    return true;
  });
});
