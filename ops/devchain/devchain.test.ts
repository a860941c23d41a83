import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { hexToBytes } from '@noble/hashes/utils.js';
import { concat, encodeFunctionData, keccak256, type Hex, toHex, zeroAddress } from 'viem';
import { startScratchDevchain } from '../scratch/services.js';
import { FiscoClient } from '../../core/ledger/fisco-client.js';
import { deployContract, readContract, writeContract } from '../../core/ledger/contract-calls.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { signTransaction } from '../../core/ledger/sign-transaction.js';
import { encodeTransaction, type SignedTransaction } from '../../core/ledger/tars-transaction.js';
import { TransactionStatus } from '../../core/ledger/status.js';
import {
  generateIdentity,
  initPre,
  preDelegatorPublicKey,
  preEncrypt,
  preKeygenDelegator,
  generateDek,
} from '../../core/crypto/index.js';
import { Directory, RecordRegistry } from '../../contracts/artifacts.js';
import { Role } from '../../core/roles.js';

describe('dev chain', () => {
  let chain: Awaited<ReturnType<typeof startScratchDevchain>>;
  let client: FiscoClient;
  const sender = generateIdentity();
  let registry: string;

  before(async () => {
    await initPre();
    chain = await startScratchDevchain();
    client = new FiscoClient({ rpcUrl: chain.rpcUrl, chainId: 'chain0', groupId: 'group0', receiptTimeoutMs: 60_000 });
    // RecordRegistry takes records from registered hospitals and doctors only
    const directory = await deployContract(client, sender.secretKey, Directory);
    await writeContract(client, sender.secretKey, {
      address: directory,
      abi: Directory.abi,
      functionName: 'register',
      args: [toHex(sender.address), Role.Hospital, 'Hospital', toHex(sender.publicKey), zeroAddress],
    });
    registry = await deployContract(client, sender.secretKey, RecordRegistry, [directory]);
  });
  after(async () => chain.stop());

  const wrappedKey = () =>
    toHex(
      preEncrypt(preDelegatorPublicKey(preKeygenDelegator().secretKey), generateDek(), {
        recordId: randomBytes(32),
        version: 1,
      }),
    );
  /** The id RecordRegistry files `create(cidHash, …)` from `sender` under. */
  const recordId = (cidHash: Hex) => keccak256(concat([toHex(sender.address), cidHash]));
  const create = (id: Hex) =>
    writeContract(client, sender.secretKey, {
      address: registry,
      abi: RecordRegistry.abi,
      functionName: 'create',
      args: [id, wrappedKey()],
    });

  async function signed(overrides: Partial<SignedTransaction['data']>): Promise<SignedTransaction> {
    const current = BigInt(await client.getBlockNumber());
    return signTransaction(
      {
        chainId: 'chain0',
        groupId: 'group0',
        blockLimit: current + 500n,
        to: registry.slice(2),
        input: new Uint8Array([1, 2, 3, 4]),
        ...overrides,
      },
      sender.secretKey,
    );
  }

  const refusedWith = (status: number) => (error: unknown) => {
    assert.ok(error instanceof LedgerError, String(error));
    assert.equal(error.code, 'REJECTED', error.message);
    assert.equal(error.details.status, status, error.message);
    return true;
  };

  test('refuses what FISCO refuses, with its status codes', async () => {
    const send = (tx: SignedTransaction) => client.sendSigned(encodeTransaction(tx), toHex(tx.dataHash));
    const current = BigInt(await client.getBlockNumber());
    await assert.rejects(send(await signed({ chainId: 'chain1' })), refusedWith(TransactionStatus.InvalidChainId));
    await assert.rejects(send(await signed({ groupId: 'group1' })), refusedWith(TransactionStatus.InvalidGroupId));
    await assert.rejects(
      send(await signed({ blockLimit: current })),
      refusedWith(TransactionStatus.BlockLimitCheckFail),
    );
    await assert.rejects(
      send(await signed({ blockLimit: current + 1001n })),
      refusedWith(TransactionStatus.BlockLimitCheckFail),
    );

    const forged = await signed({});
    forged.signature = new Uint8Array(forged.signature);
    forged.signature[64] = 2;
    await assert.rejects(send(forged), refusedWith(TransactionStatus.InvalidSignature));
    const altered = await signed({});
    altered.data = { ...altered.data, input: new Uint8Array([9]) };
    await assert.rejects(send(altered), refusedWith(TransactionStatus.InvalidSignature));

    const first = await signed({});
    await send(first).catch(() => undefined);
    const sameNonce = await signed({ nonce: first.data.nonce, input: new Uint8Array([5]) });
    await assert.rejects(send(sameNonce), refusedWith(TransactionStatus.NonceCheckFail));
  });

  test('sending a committed transaction again returns its receipt instead of executing it twice', async () => {
    const id = toHex(randomBytes(32));
    const current = BigInt(await client.getBlockNumber());
    const data = encodeFunctionData({ abi: RecordRegistry.abi, functionName: 'create', args: [id, wrappedKey()] });
    const tx = signTransaction(
      {
        chainId: 'chain0',
        groupId: 'group0',
        blockLimit: current + 500n,
        to: registry.slice(2),
        input: hexToBytes(data.slice(2)),
      },
      sender.secretKey,
    );
    const first = await client.sendSigned(encodeTransaction(tx), toHex(tx.dataHash));
    // the node refuses it as FISCO's pool does, for its nonce, and the client knows its own
    const refused = await client.rpc<{ status: number }>('sendTransaction', [
      'group0',
      '',
      toHex(encodeTransaction(tx)),
      false,
    ]);
    assert.equal(refused.status, TransactionStatus.NonceCheckFail);
    const again = await client.sendSigned(encodeTransaction(tx), toHex(tx.dataHash));
    assert.deepEqual(again, first);
  });

  test('a wrong group or chain is named', async () => {
    const wrongGroup = new FiscoClient({ rpcUrl: chain.rpcUrl, chainId: 'chain0', groupId: 'group9' });
    await assert.rejects(
      wrongGroup.getBlockNumber(),
      (error: unknown) => error instanceof LedgerError && error.code === 'WRONG_CHAIN' && /group9/.test(error.message),
    );
    const wrongChain = new FiscoClient({ rpcUrl: chain.rpcUrl, chainId: 'chain7', groupId: 'group0' });
    await assert.rejects(
      wrongChain.checkChain(),
      (error: unknown) => error instanceof LedgerError && error.code === 'WRONG_CHAIN' && /chain7/.test(error.message),
    );
  });

  test('blocks are hash-linked and keep coming when idle', async () => {
    const start = await client.getBlockNumber();
    await sleep(2600);
    const end = await client.getBlockNumber();
    assert.ok(end > start, `an idle block was sealed (${start} → ${end})`);
    for (let number = Math.max(1, end - 5); number <= end; number++) {
      const block = await client.rpc<{ hash: string; parentInfo: Array<{ blockHash: string }> }>('getBlockByNumber', [
        'group0',
        '',
        number,
        true,
        true,
      ]);
      assert.equal(block.parentInfo[0]?.blockHash, await client.getBlockHash(number - 1));
      assert.equal(block.hash, await client.getBlockHash(number));
    }
  });

  test('killed and restarted mid-run: nothing committed is lost and every pending transaction is committed once or reported failed', async () => {
    const before = Array.from({ length: 5 }, () => toHex(randomBytes(32)));
    for (const id of before) await create(id);
    const ids = Array.from({ length: 40 }, () => toHex(randomBytes(32)));
    const outcomes = Promise.allSettled(ids.map((id) => create(id)));
    await sleep(30);
    await chain.restart();
    const settled = await outcomes;

    for (const id of before) {
      assert.ok(
        await readContract(client, {
          address: registry,
          abi: RecordRegistry.abi,
          functionName: 'get',
          args: [recordId(id)],
        }),
        `record ${id} survived`,
      );
    }
    let committed = 0;
    for (const [index, outcome] of settled.entries()) {
      const id = ids[index] as Hex;
      const stored = await readContract(client, {
        address: registry,
        abi: RecordRegistry.abi,
        functionName: 'get',
        args: [recordId(id)],
      }).catch(() => null);
      if (outcome.status === 'fulfilled') {
        committed++;
        assert.ok(stored, `a transaction reported committed is on the chain (${id})`);
      } else {
        assert.ok(outcome.reason instanceof LedgerError, String(outcome.reason));
        assert.equal(stored, null, `a transaction reported failed left nothing (${id})`);
      }
    }
    assert.ok(committed > 0, 'the client re-sent what the restart interrupted');
  });
});
