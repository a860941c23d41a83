import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../config/index.js';
import { readFile } from 'node:fs/promises';
import { startScratchDevchain, tempDir } from '../scratch/services.js';
import { HELLOWORLD_SET_TX } from '../../core/ledger/go-sdk-vectors.js';

const run = promisify(execFile);
const yilian = (...args: string[]) => run(process.execPath, [join(repoRoot, 'ops/bin/yilian.mjs'), ...args]);
const yilianWith = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  run(process.execPath, [join(repoRoot, 'ops/bin/yilian.mjs'), ...args], { env: { ...process.env, ...env } });

test('yilian chain deploy deploys from the CA keystore once, records the addresses, and keeps a live deployment', async () => {
  const chain = await startScratchDevchain();
  const home = await tempDir('deploy');
  try {
    const env = {
      YILIAN_HOME: home.path,
      YILIAN_CHAIN_RPC_URL: chain.rpcUrl,
      YILIAN_KEYSTORE_PASSWORD: 'correct horse battery',
    };
    const first = JSON.parse((await yilianWith(env, 'chain', 'deploy')).stdout) as {
      created: boolean;
      directory: string;
      ca: string;
    };
    assert.equal(first.created, true);
    assert.match(first.directory, /^0x[0-9a-f]{40}$/);
    const recorded = JSON.parse(await readFile(join(home.path, 'chain', 'contracts.json'), 'utf8')) as {
      directory: string;
    };
    assert.equal(recorded.directory, first.directory);
    const keystore = await readFile(join(home.path, 'keys', `${first.ca.slice(2)}.json`), 'utf8');
    assert.ok(!keystore.includes('correct horse'), 'the keystore holds no password');
    const second = JSON.parse((await yilianWith(env, 'chain', 'deploy')).stdout) as {
      created: boolean;
      directory: string;
    };
    assert.deepEqual([second.created, second.directory], [false, first.directory]);
    await assert.rejects(
      yilianWith({ ...env, YILIAN_KEYSTORE_PASSWORD: 'wrong password!' }, 'chain', 'deploy'),
      (error: { stderr: string }) => /password/i.test(error.stderr),
    );
    await assert.rejects(
      yilianWith({ ...env, YILIAN_CHAIN_ID: 'chain9' }, 'chain', 'deploy'),
      (error: { stderr: string }) => /not chain9\/group0/.test(error.stderr),
    );
  } finally {
    await chain.stop();
    await home.remove();
  }
});

test('yilian chain decode-tx --json prints the fields, dataHash and sender of the go-sdk vector', async () => {
  const { stdout } = await yilian('chain', 'decode-tx', `0x${HELLOWORLD_SET_TX}`, '--json');
  const report = JSON.parse(stdout) as { valid: boolean; sender: string; dataHash: string; fields: { nonce: string } };
  assert.equal(report.valid, true);
  assert.equal(report.sender, '0xfbb18d54e9ee57529cda8c7c52242efe879f064f');
  assert.equal(report.dataHash, '0xb1e82e9052f066250532968bf9ad3a05f19dba10291089a27cea931ddfc8e9b5');
  assert.equal(report.fields.nonce, '161255612898668632725869040723287657533');
});

test('yilian chain decode-tx exits non-zero for a transaction whose fields do not match its dataHash', async () => {
  await assert.rejects(
    yilian('chain', 'decode-tx', HELLOWORLD_SET_TX.replace('41020a', '41020b')),
    (error: { code: number; stdout: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stdout, /INVALID: dataHash .* does not match the fields/);
      return true;
    },
  );
});
