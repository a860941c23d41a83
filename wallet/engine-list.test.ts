import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineList } from './engine-list.js';
import { engineListFile } from './node/engine-list-file.js';

const contracts = {
  directory: '0x' + '11'.repeat(20),
  recordRegistry: '0x' + '22'.repeat(20),
  drugTrace: '0x' + '33'.repeat(20),
};
const hospitalA = { apiUrl: 'http://127.0.0.1:8080/', organisation: '0x' + 'aa'.repeat(20), name: 'Hospital A' };
const hospitalB = { apiUrl: 'http://127.0.0.1:9090', organisation: '0x' + 'bb'.repeat(20), name: 'Hospital B' };

test('an engine list keeps each engine’s prekeys apart and pins the consortium’s contracts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'yilian-engines-'));
  try {
    const list = await EngineList.open(engineListFile(dir));
    assert.deepEqual(list.engines, []);
    await list.add(hospitalA, contracts);
    await list.add(hospitalB, contracts);
    await list.notePrekeys('http://127.0.0.1:8080', [0, 1, 2]);
    await list.notePrekeys(hospitalB.apiUrl, [3, 4]);
    await assert.rejects(list.notePrekeys(hospitalB.apiUrl, [2]), /prekey 2 was already published to an engine/);
    await assert.rejects(
      list.add({ ...hospitalB, apiUrl: 'http://127.0.0.1:7070' }, { ...contracts, directory: '0x' + '44'.repeat(20) }),
      /names the Directory 0x4444.*not the consortium's 0x1111/,
    );
    assert.throws(() => list.engine('http://127.0.0.1:7070'), /not enrolled with http:\/\/127\.0\.0\.1:7070/);

    // stored as the person's own file, and read back as it was
    assert.equal((await stat(join(dir, 'engines.json'))).mode & 0o777, 0o600);
    const reopened = await EngineList.open(engineListFile(dir));
    assert.deepEqual(
      reopened.engines.map((e) => [e.apiUrl, e.name, e.prekeys]),
      [
        ['http://127.0.0.1:8080', 'Hospital A', [0, 1, 2]],
        ['http://127.0.0.1:9090', 'Hospital B', [3, 4]],
      ],
    );
    assert.deepEqual(reopened.contracts, contracts);

    // adding an engine again renames it and keeps its prekeys
    await reopened.add({ ...hospitalA, name: 'Hospital A (new name)' }, contracts);
    assert.deepEqual(reopened.engine(hospitalA.apiUrl).prekeys, [0, 1, 2]);
    assert.match(await readFile(join(dir, 'engines.json'), 'utf8'), /Hospital A \(new name\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a damaged engine list is an error naming what is wrong, not an empty list', async () => {
  const slot = {
    read: () => Promise.resolve({ version: 1, contracts: null, engines: [{ apiUrl: 'x' }] }),
    write: () => Promise.resolve(),
  };
  await assert.rejects(EngineList.open(slot), /the wallet's engine list is not valid/);
});
