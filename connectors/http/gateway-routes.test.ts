import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from '@noble/hashes/utils.js';
import { toHex, zeroAddress } from 'viem';
import { Directory } from '../../contracts/artifacts.js';
import { generateIdentity } from '../../core/crypto/index.js';
import { connectChainGateway, type ChainGatewayInfo } from '../../core/ledger/chain-gateway.js';
import { deployContract, writeContract } from '../../core/ledger/contract-calls.js';
import { lookupIdentity } from '../../core/ledger/directory.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { FiscoClient } from '../../core/ledger/fisco-client.js';
import { Role } from '../../core/roles.js';
import { CHUNK_SIZE, parseCid } from '../../core/storage/cid.js';
import { StorageError } from '../../core/storage/errors.js';
import { GatewayContent } from '../../core/storage/gateway-content.js';
import { EmbeddedContentStore } from '../../core/storage/node/index.js';
import { startScratchDevchain, tempDir } from '../../ops/scratch/services.js';
import { createHttpApp } from './app.js';
import { blockGatewayRoutes } from './block-gateway-routes.js';
import { chainGatewayRoutes } from './chain-gateway-routes.js';
import { serve } from './test-helpers.js';

/** The engine's read-only doors for a browser, over a real dev chain and a real content store. */
describe('gateway: /v1/chain and /v1/blocks', () => {
  let chain: Awaited<ReturnType<typeof startScratchDevchain>>;
  let direct: FiscoClient;
  let storeDir: Awaited<ReturnType<typeof tempDir>>;
  let store: EmbeddedContentStore;
  let api: Awaited<ReturnType<typeof serve>>;
  let info: ChainGatewayInfo;
  const ca = generateIdentity();
  const hospital = generateIdentity();

  before(async () => {
    chain = await startScratchDevchain();
    direct = new FiscoClient({ rpcUrl: chain.rpcUrl, chainId: 'chain0', groupId: 'group0', receiptTimeoutMs: 60_000 });
    const directory = await deployContract(direct, ca.secretKey, Directory);
    await writeContract(direct, ca.secretKey, {
      address: directory,
      abi: Directory.abi,
      functionName: 'register',
      args: [toHex(hospital.address), Role.Hospital, 'Gateway Hospital', toHex(hospital.publicKey), zeroAddress],
    });
    info = {
      chainId: 'chain0',
      groupId: 'group0',
      contracts: { directory, recordRegistry: directory, drugTrace: directory },
    };
    storeDir = await tempDir('gateway-store');
    store = new EmbeddedContentStore(storeDir.path);
    api = await serve(() =>
      createHttpApp({
        health: {},
        routes: { '/v1/chain': chainGatewayRoutes(direct, info), '/v1/blocks': blockGatewayRoutes(store) },
        log: () => {},
      }),
    );
  });
  after(async () => {
    await api.close();
    await chain.stop();
    await storeDir.remove();
  });

  const rpc = (body: unknown) =>
    fetch(`${api.url}/v1/chain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  test('a client through the gateway reads what a client of the node reads', async () => {
    const { chain: viaGateway, contracts } = await connectChainGateway(api.url);
    assert.deepEqual(contracts, info.contracts);
    const [entry, expected] = await Promise.all([
      lookupIdentity(viaGateway, contracts.directory, toHex(hospital.address)),
      lookupIdentity(direct, info.contracts.directory, toHex(hospital.address)),
    ]);
    assert.equal(entry?.name, 'Gateway Hospital');
    assert.deepEqual(entry, expected);
    const height = await direct.getBlockNumber();
    assert.equal(await viaGateway.getBlockNumber(), height);
    assert.deepEqual(await viaGateway.getBlock(height), await direct.getBlock(height));
    assert.equal(await viaGateway.getCode(info.contracts.directory), await direct.getCode(info.contracts.directory));
  });

  test("the node's own JSON-RPC errors come through as the node said them", async () => {
    const { chain: viaGateway } = await connectChainGateway(api.url);
    const missing = (await direct.getBlockNumber()) + 1000;
    await assert.rejects(viaGateway.getBlock(missing), (error: unknown) => {
      assert.ok(error instanceof LedgerError);
      assert.equal(error.code, 'RPC');
      assert.match(error.message, new RegExp(`block ${missing} does not exist`));
      return true;
    });
  });

  test('only reads pass: sending a transaction is refused by name, and so is another group', async () => {
    const send = await rpc({ jsonrpc: '2.0', id: 1, method: 'sendTransaction', params: ['group0', '', '0x00'] });
    assert.equal(send.status, 400);
    assert.match(((await send.json()) as { error: string }).error, /method must be one of the reads getBlockNumber/);
    const otherGroup = await rpc({ jsonrpc: '2.0', id: 2, method: 'getBlockNumber', params: ['group1', ''] });
    assert.equal(otherGroup.status, 400);
    assert.match(
      ((await otherGroup.json()) as { error: string }).error,
      /params\[0\] must be this chain's group "group0"/,
    );
    const extra = await rpc({ jsonrpc: '2.0', id: 3, method: 'getBlockNumber', params: ['group0', ''], to: 'x' });
    assert.equal(extra.status, 400);
    const huge = await rpc({ jsonrpc: '2.0', id: 4, method: 'call', params: ['group0', '', '0x', 'a'.repeat(70_000)] });
    assert.equal(huge.status, 413);
  });

  test('a chain node that does not answer is a 503, which the client reports as unavailable', async () => {
    const gone = new FiscoClient({ rpcUrl: 'http://127.0.0.1:9/', chainId: 'chain0', groupId: 'group0' });
    const deadEnd = await serve(() =>
      createHttpApp({ health: {}, routes: { '/v1/chain': chainGatewayRoutes(gone, info) }, log: () => {} }),
    );
    try {
      const { chain: viaGateway } = await connectChainGateway(deadEnd.url);
      await assert.rejects(viaGateway.getBlockNumber(), (error: unknown) => {
        assert.ok(error instanceof LedgerError);
        assert.equal(error.code, 'UNAVAILABLE');
        assert.match(error.message, /HTTP 503/);
        return true;
      });
    } finally {
      await deadEnd.close();
    }
  });

  test('content read through the block gateway is the content stored, over several blocks', async () => {
    const content = new Uint8Array(CHUNK_SIZE * 2 + 17).map((_, i) => (i * 7919) % 251);
    const cid = await store.put(content);
    assert.deepEqual(await new GatewayContent(api.url).get(cid), content);
    const response = await fetch(`${api.url}/v1/blocks/${cid.toString()}`);
    assert.equal(response.headers.get('content-type'), 'application/vnd.ipld.raw');
    assert.match(response.headers.get('cache-control') ?? '', /immutable/);
  });

  test('an unknown CID is not found, and a malformed one is refused naming what is wrong', async () => {
    const unknown = parseCid('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy');
    await assert.rejects(new GatewayContent(api.url).get(unknown), (error: unknown) => {
      assert.ok(error instanceof StorageError);
      assert.equal(error.code, 'NOT_FOUND');
      return true;
    });
    const malformed = await fetch(`${api.url}/v1/blocks/not-a-cid`);
    assert.equal(malformed.status, 400);
    assert.match(((await malformed.json()) as { error: string }).error, /not a valid CID/);
    const long = await fetch(`${api.url}/v1/blocks/${'b'.repeat(200)}`);
    assert.equal(long.status, 400);
  });

  test('an engine that substitutes a block is caught by the reader', async () => {
    const genuine = await store.put(randomBytes(100));
    const other = randomBytes(100);
    const lying = { rawBlock: () => Promise.resolve(other) };
    const liar = await serve(() =>
      createHttpApp({ health: {}, routes: { '/v1/blocks': blockGatewayRoutes(lying) }, log: () => {} }),
    );
    try {
      await assert.rejects(new GatewayContent(liar.url).get(genuine), (error: unknown) => {
        assert.ok(error instanceof StorageError);
        assert.equal(error.code, 'INTEGRITY');
        return true;
      });
    } finally {
      await liar.close();
    }
  });
});
