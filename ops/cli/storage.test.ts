import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir, toolsDir } from '../scratch/services.js';
import { repoRoot } from '../config/index.js';
import { toolPath } from '../tools.js';

const run = promisify(execFile);
const ipfs = toolPath(toolsDir, 'ipfs');
let dir: Awaited<ReturnType<typeof tempDir>>;
let env: NodeJS.ProcessEnv;

const yilian = (...args: string[]) =>
  run(process.execPath, [join(repoRoot, 'ops/bin/yilian.mjs'), ...args], { env, cwd: dir.path, maxBuffer: 64 << 20 });

before(async () => {
  dir = await tempDir('cli');
  env = { ...process.env, YILIAN_HOME: join(dir.path, 'home'), IPFS_PATH: join(dir.path, 'ipfs') };
  await run(ipfs, ['init', '--empty-repo', '--profile', 'test'], { env });
});
after(async () => dir.remove());

for (const [label, size] of [
  ['1 byte', 1],
  ['1 MB', 1_000_000],
  ['10 MB', 10_000_000],
] as const) {
  test(`yilian storage put prints the CID ipfs add --cid-version=1 --raw-leaves --only-hash prints (${label})`, async () => {
    const file = join(dir.path, `payload-${size}`);
    const bytes = randomBytes(size);
    await writeFile(file, bytes);
    const { stdout: ours } = await yilian('storage', 'put', file);
    const { stdout: kubos } = await run(ipfs, ['add', '--cid-version=1', '--raw-leaves', '--only-hash', '-Q', file], {
      env,
    });
    assert.equal(ours.trim(), kubos.trim());

    const out = join(dir.path, `out-${size}`);
    await yilian('storage', 'get', ours.trim(), '-o', out);
    assert.deepEqual(await readFile(out), bytes);
    assert.equal((await yilian('storage', 'has', ours.trim())).stdout.trim(), 'yes');
  });
}

test('yilian storage put on a missing file and get on a bad CID fail with a clear message', async () => {
  await assert.rejects(
    yilian('storage', 'put', join(dir.path, 'absent')),
    (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /cannot read .*absent: no such file/);
      return true;
    },
  );
  await assert.rejects(yilian('storage', 'get', 'Qm-nope'), (error: { stderr: string }) =>
    /not a valid CID: "Qm-nope"/.test(error.stderr),
  );
});
