import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateIdentity } from '../../core/crypto/index.js';
import { FiscoClient } from '../../core/ledger/fisco-client.js';
import { readContract } from '../../core/ledger/contract-calls.js';
import { DrugTrace, RecordRegistry } from '../../contracts/artifacts.js';
import { startScratchDevchain, tempDir } from '../scratch/services.js';
import { ensureDeployed, readDeployment } from './deployment.js';

describe('ensureDeployed', () => {
  let chain: Awaited<ReturnType<typeof startScratchDevchain>>;
  let home: Awaited<ReturnType<typeof tempDir>>;
  let client: FiscoClient;
  const ca = generateIdentity();

  before(async () => {
    [chain, home] = await Promise.all([startScratchDevchain(), tempDir('deployment')]);
    client = new FiscoClient({ rpcUrl: chain.rpcUrl, chainId: 'chain0', groupId: 'group0' });
  });
  after(async () => {
    await chain.stop();
    await home.remove();
  });

  test('the registries are deployed on the Directory; a live deployment is kept, one of other contracts replaced', async () => {
    const first = await ensureDeployed(client, home.path, ca);
    assert.equal(first.created, true);
    const { directory, recordRegistry, drugTrace } = first.deployment;
    for (const [address, abi] of [
      [recordRegistry, RecordRegistry.abi],
      [drugTrace, DrugTrace.abi],
    ] as const)
      assert.equal(
        (await readContract(client, { address, abi, functionName: 'directory', args: [] })).toLowerCase(),
        directory,
      );
    assert.equal((await ensureDeployed(client, home.path, ca)).created, false);

    // contracts of an older version (here: the Directory, which has no `directory()`) are not these
    const file = join(home.path, 'chain', 'contracts.json');
    await writeFile(file, JSON.stringify({ ...first.deployment, recordRegistry: directory }));
    const again = await ensureDeployed(client, home.path, ca);
    assert.equal(again.created, true);
    assert.notEqual(again.deployment.directory, directory);
    assert.deepEqual(await readDeployment(home.path), again.deployment);
  });
});
