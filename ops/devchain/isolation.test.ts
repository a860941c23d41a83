import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { createAddressFromString } from '@ethereumjs/util';
import { hexToBytes } from '@noble/hashes/utils.js';
import { toHex } from 'viem';
import { tempDir } from '../scratch/services.js';
import { signTransaction } from '../../core/ledger/sign-transaction.js';
import { encodeTransaction, type SignedTransaction } from '../../core/ledger/tars-transaction.js';
import { TransactionStatus } from '../../core/ledger/status.js';
import type { Receipt } from '../../core/ledger/receipt.js';
import { generateIdentity } from '../../core/crypto/index.js';
import { DevChain } from './chain.js';
import { PersistentStateManager } from './state.js';

/**
 * The dev chain in this process, for failures no client can cause from outside: the node's own
 * code throwing while it executes a transaction, and a block that cannot be stored.
 */
const sender = generateIdentity();
const THROWING_PRECOMPILE = '0x0000000000000000000000000000000000005299';

async function openChain(dir: string, log: string[]): Promise<DevChain> {
  return DevChain.open({
    dataDir: dir,
    chainId: 'chain0',
    groupId: 'group0',
    // stands for a bug in the node: an exception that is no EVM error
    precompiles: [
      {
        address: createAddressFromString(THROWING_PRECOMPILE),
        function: () => {
          throw new Error('precompile bug');
        },
      },
    ],
    idleBlockMs: 3_600_000,
    log: (line) => log.push(line),
  });
}

function signed(chain: DevChain, to: string, input: Uint8Array): SignedTransaction {
  return signTransaction(
    { chainId: 'chain0', groupId: 'group0', blockLimit: BigInt(chain.blockNumber() + 500), to, input },
    sender.secretKey,
  );
}

/** Fails instead of waiting for ever: a transaction stranded in the pool never resolves. */
function withinSeconds<T>(seconds: number, work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    sleep(seconds * 1000).then(() => Promise.reject(new Error(`no answer within ${seconds} s`))),
  ]);
}

async function deploy(chain: DevChain, runtime: string): Promise<string> {
  const size = (runtime.length / 2).toString(16).padStart(2, '0');
  const receipt = await chain.submit(
    encodeTransaction(signed(chain, '', hexToBytes(`60${size}600c60003960${size}6000f3${runtime}`))),
  );
  assert.equal(receipt.status, TransactionStatus.None, receipt.message);
  return receipt.contractAddress;
}

test('a view keeps seeing the committed state as it was, while blocks commit over it', async () => {
  const address = createAddressFromString(`0x${'aa'.repeat(20)}`);
  const slot = new Uint8Array(32);
  const state = await PersistentStateManager.fromSnapshot({ accounts: [], code: [], storage: [] });
  await state.putStorage(address, slot, new Uint8Array([1]));
  const view = new PersistentStateManager();
  const release = view.readFrom(state);

  await state.checkpoint();
  await state.putStorage(address, slot, new Uint8Array([2]));
  await state.putCode(address, new Uint8Array([0x00]));
  state.commitSync();
  assert.deepEqual(await state.getStorage(address, slot), new Uint8Array([2]));
  assert.deepEqual(await view.getStorage(address, slot), new Uint8Array([1]));
  assert.deepEqual(await view.getCode(address), new Uint8Array());
  await view.putStorage(address, slot, new Uint8Array([3]));
  assert.deepEqual(await state.getStorage(address, slot), new Uint8Array([2]), 'a view writes only to itself');

  release();
  const later = new PersistentStateManager();
  later.readFrom(state);
  assert.deepEqual(await later.getStorage(address, slot), new Uint8Array([2]));
});

test('a transaction on which the node throws gets a failed receipt, its writes dropped, and its block commits the others', async () => {
  const dir = await tempDir('devchain-isolation');
  const log: string[] = [];
  const chain = await openChain(dir.path, log);
  try {
    const writeThenThrow = await deploy(
      chain,
      [
        '36600f57', // JUMPI(15, CALLDATASIZE)
        '60005460005260206000f3', // no calldata: RETURN SLOAD(0)
        '5b6001600055', // 15: JUMPDEST, SSTORE(0, 1)
        '600060006000600060006152995af100', // CALL(GAS, 0x5299, 0, 0, 0, 0, 0), STOP
      ].join(''),
    );
    const honest = [1, 2, 3].map((i) =>
      chain.submit(encodeTransaction(signed(chain, 'ab'.repeat(20), new Uint8Array([i])))),
    );
    const failing = chain.submit(encodeTransaction(signed(chain, writeThenThrow.slice(2), new Uint8Array([1]))));
    const receipts = await withinSeconds(10, Promise.all([...honest, failing]));

    const failed = receipts[3] as Receipt;
    assert.equal(failed.status, TransactionStatus.Unknown);
    assert.equal(failed.message, 'Unknown: the node could not execute it: precompile bug');
    for (const receipt of receipts.slice(0, 3)) {
      assert.equal(receipt.status, TransactionStatus.None, receipt.message);
      assert.equal(receipt.blockNumber, failed.blockNumber, 'committed in the same block');
    }
    assert.equal(
      (await chain.call(writeThenThrow, new Uint8Array())).output,
      toHex(0, { size: 32 }),
      'its write was dropped',
    );
    assert.deepEqual(log, [`transaction ${failed.transactionHash} failed inside the node: precompile bug`]);
    const after = await chain.submit(encodeTransaction(signed(chain, 'ab'.repeat(20), new Uint8Array([4]))));
    assert.equal(after.status, TransactionStatus.None);
  } finally {
    await chain.close();
    await dir.remove();
  }
});

test('a block that cannot be stored loses nobody: its transactions are sealed one by one and only the culprit is refused', async () => {
  const dir = await tempDir('devchain-seal');
  const log: string[] = [];
  const chain = await openChain(dir.path, log);
  const other = new Database(join(dir.path, 'chain.sqlite'));
  try {
    const transactions = [1, 2, 3].map((i) => signed(chain, 'ab'.repeat(20), new Uint8Array([i])));
    const sent = transactions.map((tx) => chain.submit(encodeTransaction(tx)));
    // after the pool admitted it, its nonce appears in the store: the block holding it cannot be written
    const culprit = transactions[1] as SignedTransaction;
    other
      .prepare('INSERT INTO transactions (hash, nonce, block_number, idx, raw, receipt) VALUES (?, ?, 0, 0, ?, ?)')
      .run('0xelsewhere', culprit.data.nonce, Buffer.alloc(0), '{}');
    const [first, refused, third] = (await withinSeconds(15, Promise.all(sent))) as [Receipt, Receipt, Receipt];

    assert.equal(first.status, TransactionStatus.None, first.message);
    assert.equal(third.status, TransactionStatus.None, third.message);
    assert.notEqual(first.blockNumber, third.blockNumber, 'sealed one per block after the failure');
    assert.equal(refused.status, TransactionStatus.TxPoolIsFull);
    assert.match(refused.message, /could not store a block with it: UNIQUE constraint failed: transactions\.nonce/);
    assert.equal(chain.receipt(toHex(culprit.dataHash)), null, 'nothing of it was stored');

    assert.ok(log.length >= 1 && log.length <= 4, log.join('\n'));
    assert.match(
      log[0] ?? '',
      /^could not store block \d+ \(3 transaction\(s\)\): UNIQUE constraint failed: transactions\.nonce; they stay in the pool/,
    );
    for (const line of log) assert.doesNotMatch(line, /\n|\bat .*:\d+:\d+/);
  } finally {
    other.close();
    await chain.close();
    await dir.remove();
  }
});
