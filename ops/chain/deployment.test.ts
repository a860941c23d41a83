import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { bytesToHex } from '@noble/hashes/utils.js';
import { generateIdentity } from '../../core/crypto/index.js';
import { FiscoClient } from '../../core/ledger/fisco-client.js';
import { deployContract, readContract } from '../../core/ledger/contract-calls.js';
import { DrugTrace, RecordRegistry } from '../../contracts/artifacts.js';
import { startScratchDevchain, tempDir } from '../scratch/services.js';
import { ensureDeployed, joinDeployment, readDeployment } from './deployment.js';

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

  test('a deployment whose Directory records no affiliations (an older version) is replaced', async () => {
    // the older Directory's `get`, as it answered: role, name, key, revoked, revokedAt, no organisation
    const source = `pragma solidity ^0.8.20;
      contract OlderDirectory {
        function get(address) external pure returns (uint8, string memory, bytes memory, bool, uint64) {
          return (1, "Consortium CA", new bytes(64), false, 0);
        }
      }`;
    const solc = createRequire(import.meta.url)('solc') as { compile(input: string): string };
    const output = JSON.parse(
      solc.compile(
        JSON.stringify({
          language: 'Solidity',
          sources: { 'Older.sol': { content: source } },
          settings: { evmVersion: 'paris', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
        }),
      ),
    ) as { contracts: { 'Older.sol': { OlderDirectory: { abi: []; evm: { bytecode: { object: string } } } } } };
    const older = output.contracts['Older.sol'].OlderDirectory;
    const directory = await deployContract(client, ca.secretKey, {
      abi: older.abi,
      bytecode: `0x${older.evm.bytecode.object}`,
    });
    const current = (await ensureDeployed(client, home.path, ca)).deployment;
    await writeFile(
      join(home.path, 'chain', 'contracts.json'),
      JSON.stringify({
        ...current,
        directory,
        recordRegistry: await deployContract(client, ca.secretKey, RecordRegistry, [directory]),
        drugTrace: await deployContract(client, ca.secretKey, DrugTrace, [directory]),
        ca: `0x${bytesToHex(ca.address)}`,
      }),
    );
    const replaced = await ensureDeployed(client, home.path, ca);
    assert.equal(replaced.created, true);
    assert.notEqual(replaced.deployment.directory, directory);
  });

  test('a member engine joins the published deployment without deploying or making a CA key; a record of other contracts is refused', async () => {
    const { deployment } = await ensureDeployed(client, home.path, ca);
    const member = await tempDir('deployment-member');
    try {
      const published = join(home.path, 'chain', 'contracts.json');
      assert.deepEqual(await joinDeployment(client, member.path, published), deployment);
      assert.deepEqual(await readDeployment(member.path), deployment);
      assert.deepEqual(await readdir(member.path), ['chain'], 'no keys made');

      const stale = join(member.path, 'stale.json');
      await writeFile(stale, JSON.stringify({ ...deployment, directory: deployment.drugTrace }));
      await assert.rejects(joinDeployment(client, member.path, stale), /stale\.json: its contracts are not live/);
      await writeFile(stale, '{"directory": 1');
      await assert.rejects(
        joinDeployment(client, member.path, stale),
        /stale\.json is not a Yilian deployment record: not JSON/,
      );
      await assert.rejects(
        joinDeployment(client, member.path, join(member.path, 'missing.json')),
        /missing\.json: file not found/,
      );
    } finally {
      await member.remove();
    }
  });
});
