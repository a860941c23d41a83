import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../scratch/services.js';
import { startManagedProcess } from './managed-process.js';

const dir = await tempDir('managed-process');
after(() => dir.remove());

/** A process that never answers: `onTerm` is what it does on SIGTERM. */
const neverReady = (name: string, onTerm: string) =>
  startManagedProcess({
    name,
    command: process.execPath,
    args: ['-e', `process.on('SIGTERM', () => { ${onTerm} }); setInterval(() => {}, 1000);`],
    logFile: join(dir.path, `${name}.log`),
    ready: () => Promise.resolve(false),
    readyTimeoutMs: 500,
    stopTimeoutMs: 1000,
  });

test('a process not ready in time is stopped with SIGTERM first, so a supervisor stops what it started', async () => {
  const marker = join(dir.path, 'stopped');
  await assert.rejects(
    neverReady(
      'supervisor',
      `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'stopped'); process.exit(0);`,
    ),
    /supervisor did not become ready within 500 ms/,
  );
  assert.equal(await readFile(marker, 'utf8'), 'stopped');
});

test('one that ignores SIGTERM is killed once the grace period is over', async () => {
  const started = Date.now();
  await assert.rejects(neverReady('stubborn', '/* ignored */'), /stubborn did not become ready within 500 ms/);
  assert.ok(Date.now() - started >= 1500, 'the grace period was given');
});
