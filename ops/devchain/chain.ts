import { createEVM, type CustomPrecompile, type EVM, type EVMResult } from '@ethereumjs/evm';
import { toHex } from 'viem';
import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { createAddressFromString, createZeroAddress } from '@ethereumjs/util';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { decodeTransaction, type SignedTransaction } from '../../core/ledger/tars-transaction.js';
import { verifyTransaction, type RecoverSigner } from '../../core/ledger/inspect-transaction.js';
import { recoverSigner } from '../../native/index.js';
import { TransactionStatus, statusName } from '../../core/ledger/status.js';
import type { Receipt } from '../../core/ledger/receipt.js';
import { revertReason } from '../../core/ledger/revert-reason.js';
import { ChainStore, type StoredBlock, type StoredTransaction } from './store.js';
import { PersistentStateManager, type StateChanges } from './state.js';

export interface DevChainOptions {
  dataDir: string;
  chainId: string;
  groupId: string;
  precompiles: CustomPrecompile[];
  /** How long the first transaction waits for others to join its block. */
  batchWindowMs?: number;
  /** An empty block is sealed after this much quiet, so recent block hashes keep moving. */
  idleBlockMs?: number;
  maxBlockTransactions?: number;
}

/** FISCO accepts `current < blockLimit ≤ current + 1000` (txpool MaxBlockLimit). */
export const MAX_BLOCK_LIMIT_AHEAD = 1000;
const TRANSACTION_GAS_LIMIT = 300_000_000n;
const BLOCK_GAS_LIMIT = 30_000_000_000n;
const ZERO_HASH = `0x${'00'.repeat(32)}`;

interface PendingTransaction {
  hash: string;
  tx: SignedTransaction;
  raw: Uint8Array;
  sender: string;
  resolve: (receipt: Receipt) => void;
}

/** The pool checks every signature, so it uses native secp256k1 (libsecp-class speed) instead of noble's. */
const recoverNatively: RecoverSigner = (digest, signature) => toHex(recoverSigner(digest, signature));

/**
 * A single-node chain that behaves like FISCO BCOS 3.x towards its clients: it checks signed tars
 * transactions as the transaction pool does (with the same status codes), executes them on an EVM
 * with Yilian's precompiles, seals hash-linked blocks and keeps everything in one SQLite file.
 */
export class DevChain {
  private readonly queue: PendingTransaction[] = [];
  private readonly pooled = new Map<string, PendingTransaction>();
  private readonly pooledNonces = new Set<string>();
  private batchTimer: NodeJS.Timeout | undefined;
  private readonly idleTimer: NodeJS.Timeout;
  private exclusive: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly options: Required<DevChainOptions>,
    private readonly store: ChainStore,
    private readonly stateManager: PersistentStateManager,
    private readonly evm: EVM,
    private head: StoredBlock,
  ) {
    this.idleTimer = setInterval(
      () => {
        if (this.queue.length === 0 && Date.now() - this.head.timestamp >= this.options.idleBlockMs)
          void this.sealBlock();
      },
      Math.max(50, Math.floor(this.options.idleBlockMs / 4)),
    );
  }

  static async open(options: DevChainOptions): Promise<DevChain> {
    const settings: Required<DevChainOptions> = {
      batchWindowMs: 5,
      idleBlockMs: 2000,
      maxBlockTransactions: 2000,
      ...options,
    };
    const store = new ChainStore(settings.dataDir);
    const stored = store.head();
    const stateManager = await PersistentStateManager.fromSnapshot(store.loadState());
    const common = new Common({ chain: Mainnet, hardfork: Hardfork.Paris });
    const blockchain = {
      getBlock: (number: number) => {
        const block = store.block(number);
        if (!block) return Promise.reject(new Error(`no block ${number}`));
        return Promise.resolve({ hash: () => hexToBytes(block.hash.slice(2)) });
      },
      putBlock: async () => {},
      shallowCopy() {
        return this;
      },
    };
    const evm = await createEVM({ common, stateManager, blockchain, customPrecompiles: settings.precompiles });
    let head = stored;
    if (!head) {
      const changes = await stateManager.takeChanges();
      head = sealHeader({
        number: 0,
        parentHash: ZERO_HASH,
        timestamp: Date.now(),
        stateRoot: nextStateRoot(ZERO_HASH, changes),
        transactionHashes: [],
      });
      store.commitBlock(head, [], changes);
    }
    return new DevChain(settings, store, stateManager, evm, head);
  }

  get chainId(): string {
    return this.options.chainId;
  }

  get groupId(): string {
    return this.options.groupId;
  }

  blockNumber(): number {
    return this.head.number;
  }

  block(number: number): StoredBlock | undefined {
    return this.store.block(number);
  }

  /** Checks a signed transaction as FISCO's pool does, then waits until its block is sealed. */
  submit(raw: Uint8Array): Promise<Receipt> {
    let tx: SignedTransaction;
    try {
      tx = decodeTransaction(raw);
    } catch (error) {
      return Promise.resolve(rejection('', TransactionStatus.Malformed, (error as Error).message));
    }
    const hash = toHex(tx.dataHash);
    const refuse = (status: number, message: string) => Promise.resolve(rejection(hash, status, message));
    if (tx.data.chainId !== this.options.chainId)
      return refuse(TransactionStatus.InvalidChainId, `chain id ${tx.data.chainId} is not ${this.options.chainId}`);
    if (tx.data.groupId !== this.options.groupId)
      return refuse(TransactionStatus.InvalidGroupId, `group id ${tx.data.groupId} is not ${this.options.groupId}`);
    const { problems, sender } = verifyTransaction(tx, recoverNatively);
    if (problems.length > 0 || !sender) return refuse(TransactionStatus.InvalidSignature, problems.join('; '));
    const limitProblem = this.blockLimitProblem(tx.data.blockLimit);
    if (limitProblem) return refuse(TransactionStatus.BlockLimitCheckFail, limitProblem);
    if (this.store.transaction(hash))
      return refuse(TransactionStatus.TxAlreadyInChain, `transaction ${hash} is already in the chain`);
    if (this.pooled.has(hash))
      return refuse(TransactionStatus.AlreadyInTxPool, `transaction ${hash} is already in the pool`);
    if (this.pooledNonces.has(tx.data.nonce) || this.store.isNonceUsed(tx.data.nonce)) {
      return refuse(TransactionStatus.NonceCheckFail, `nonce ${tx.data.nonce} was already used`);
    }
    if (this.closed) return refuse(TransactionStatus.TxPoolIsFull, 'the node is shutting down');
    return new Promise((resolve) => {
      const pending = { hash, tx, raw, sender, resolve };
      this.queue.push(pending);
      this.pooled.set(hash, pending);
      this.pooledNonces.add(tx.data.nonce);
      this.scheduleBlock();
    });
  }

  private blockLimitProblem(blockLimit: bigint): string | undefined {
    const current = BigInt(this.head.number);
    if (blockLimit <= current) return `blockLimit ${blockLimit} has passed (current block ${current})`;
    if (blockLimit > current + BigInt(MAX_BLOCK_LIMIT_AHEAD))
      return `blockLimit ${blockLimit} is more than ${MAX_BLOCK_LIMIT_AHEAD} blocks ahead of ${current}`;
    return undefined;
  }

  private scheduleBlock(): void {
    if (this.batchTimer) return;
    const delay = this.queue.length >= this.options.maxBlockTransactions ? 0 : this.options.batchWindowMs;
    this.batchTimer = setTimeout(() => {
      this.batchTimer = undefined;
      void this.sealBlock();
    }, delay);
  }

  /** Runs `work` alone: blocks and read-only calls never interleave on the state. */
  private serialized<T>(work: () => T | Promise<T>): Promise<T> {
    const result = this.exclusive.then(work, work);
    this.exclusive = result.catch(() => undefined);
    return result;
  }

  private sealBlock(): Promise<void> {
    return this.serialized(async () => {
      if (this.closed) return;
      const batch = this.queue.splice(0, this.options.maxBlockTransactions);
      const number = this.head.number + 1;
      const timestamp = Math.max(Date.now(), this.head.timestamp + 1);
      const environment = blockEnvironment(number, timestamp);
      const committed: Array<{ pending: PendingTransaction; receipt: Receipt }> = [];
      await this.stateManager.checkpoint();
      try {
        for (const pending of batch) {
          if (BigInt(number) > pending.tx.data.blockLimit) {
            this.release(
              pending,
              rejection(
                pending.hash,
                TransactionStatus.BlockLimitCheckFail,
                `blockLimit ${pending.tx.data.blockLimit} passed before it was sealed`,
              ),
            );
            continue;
          }
          const result = await this.execute(pending.tx, pending.sender, environment);
          committed.push({ pending, receipt: { ...receiptOf(pending, result), blockNumber: number } });
        }
        await this.stateManager.commit();
        const changes = await this.stateManager.takeChanges();
        const block = sealHeader({
          number,
          parentHash: this.head.hash,
          timestamp,
          stateRoot: nextStateRoot(this.head.stateRoot, changes),
          transactionHashes: committed.map(({ pending }) => pending.hash),
        });
        const rows: StoredTransaction[] = committed.map(({ pending, receipt }, index) => ({
          hash: pending.hash,
          nonce: pending.tx.data.nonce,
          blockNumber: number,
          index,
          raw: pending.raw,
          receipt: JSON.stringify(receipt),
        }));
        this.store.commitBlock(block, rows, changes);
        this.head = block;
      } catch (error) {
        // Memory and disk may now disagree: let the process die (the rejection is unhandled) and
        // restart from disk. Its senders see the connection drop and re-send, which is idempotent.
        await this.stateManager.revert();
        throw error;
      }
      for (const { pending, receipt } of committed) this.release(pending, receipt);
    });
  }

  private release(pending: PendingTransaction, receipt: Receipt): void {
    this.pooled.delete(pending.hash);
    this.pooledNonces.delete(pending.tx.data.nonce);
    pending.resolve(receipt);
  }

  private async execute(
    tx: SignedTransaction,
    sender: string,
    block: ReturnType<typeof blockEnvironment>,
  ): Promise<EVMResult> {
    const caller = createAddressFromString(sender);
    return this.evm.runCall({
      caller,
      origin: caller,
      ...(tx.data.to ? { to: createAddressFromString(`0x${tx.data.to}`) } : {}),
      data: tx.data.input,
      gasLimit: TRANSACTION_GAS_LIMIT,
      skipBalance: true,
      block,
    });
  }

  /** Executes against the latest state and throws the changes away: FISCO's `call`. */
  call(to: string, data: Uint8Array): Promise<{ blockNumber: number; output: string; status: number }> {
    return this.serialized(async () => {
      await this.stateManager.checkpoint();
      try {
        const caller = createZeroAddress();
        const result = await this.evm.runCall({
          caller,
          origin: caller,
          to: createAddressFromString(to),
          data,
          gasLimit: TRANSACTION_GAS_LIMIT,
          skipBalance: true,
          block: blockEnvironment(this.head.number + 1, Date.now()),
        });
        const status = statusOf(result, to);
        return { blockNumber: this.head.number, output: toHex(result.execResult.returnValue), status };
      } finally {
        await this.stateManager.revert();
      }
    });
  }

  getCode(address: string): Promise<string> {
    return this.serialized(async () => toHex(await this.stateManager.getCode(createAddressFromString(address))));
  }

  receipt(hash: string): Receipt | null {
    const row = this.store.transaction(hash.toLowerCase());
    return row ? (JSON.parse(row.receipt) as Receipt) : null;
  }

  transaction(hash: string): { raw: Uint8Array; blockNumber: number | null } | null {
    const row = this.store.transaction(hash.toLowerCase());
    if (row) return { raw: row.raw, blockNumber: row.blockNumber };
    const pending = this.pooled.get(hash.toLowerCase());
    return pending ? { raw: pending.raw, blockNumber: null } : null;
  }

  /** Stops sealing; transactions still waiting are reported failed, never silently dropped. */
  async close(): Promise<void> {
    clearInterval(this.idleTimer);
    clearTimeout(this.batchTimer);
    await this.serialized(() => {
      this.closed = true;
      for (const pending of this.queue.splice(0))
        this.release(
          pending,
          rejection(pending.hash, TransactionStatus.TxPoolIsFull, 'the node shut down before sealing it'),
        );
    });
    this.store.close();
  }
}

function blockEnvironment(number: number, timestamp: number) {
  return {
    header: {
      number: BigInt(number),
      coinbase: createZeroAddress(),
      timestamp: BigInt(Math.floor(timestamp / 1000)),
      difficulty: 0n,
      prevRandao: new Uint8Array(32),
      gasLimit: BLOCK_GAS_LIMIT,
      baseFeePerGas: 0n,
      getBlobGasPrice: () => undefined,
    },
  };
}

/** The block hash commits to the header fields, the parent's hash among them, so blocks form a chain. */
function sealHeader(header: Omit<StoredBlock, 'hash'>): StoredBlock {
  const preimage = JSON.stringify([
    header.number,
    header.parentHash,
    header.timestamp,
    header.stateRoot,
    header.transactionHashes,
  ]);
  return { ...header, hash: toHex(keccak_256(utf8ToBytes(preimage))) };
}

/**
 * Not a Merkle root: a hash chain over every block's state changes, so equal roots mean equal
 * histories of state. The dev chain serves no state proofs, so it needs no trie.
 */
function nextStateRoot(parent: string, changes: StateChanges): string {
  const digest = keccak_256(
    utf8ToBytes(
      JSON.stringify([
        parent,
        changes.clearedStorage,
        changes.accounts.map(({ address, rlp }) => [address, rlp ? bytesToHex(rlp) : null]),
        changes.code.map(({ address, code }) => [address, bytesToHex(keccak_256(code))]),
        changes.storage.map(({ address, slot, value }) => [address, slot, bytesToHex(value)]),
      ]),
    ),
  );
  return toHex(digest);
}

const PRECOMPILE_RANGE = { low: 0x1000n, high: 0x20000n };

function statusOf(result: EVMResult, to: string): number {
  const error = result.execResult.exceptionError;
  if (!error) return TransactionStatus.None;
  const target = to ? BigInt(to) : 0n;
  if (target >= PRECOMPILE_RANGE.low && target < PRECOMPILE_RANGE.high) return TransactionStatus.PrecompiledError;
  if (error.error === 'revert') return TransactionStatus.RevertInstruction;
  if (error.error === 'out of gas') return TransactionStatus.OutOfGas;
  return TransactionStatus.BadInstruction;
}

function receiptOf(pending: PendingTransaction, result: EVMResult): Omit<Receipt, 'blockNumber'> {
  const to = pending.tx.data.to ? `0x${pending.tx.data.to}` : '';
  const status = statusOf(result, to);
  const exec = result.execResult;
  return {
    version: 0,
    transactionHash: pending.hash,
    status,
    message:
      status === TransactionStatus.None
        ? ''
        : revertReason(toHex(exec.returnValue)) || `${statusName(status)}: ${exec.exceptionError?.error ?? ''}`,
    output: toHex(exec.returnValue),
    contractAddress:
      !to && result.createdAddress && status === TransactionStatus.None ? result.createdAddress.toString() : '',
    from: pending.sender,
    to,
    gasUsed: exec.executionGasUsed.toString(),
    input: toHex(pending.tx.data.input),
    logEntries: (exec.logs ?? []).map(([address, topics, data]) => ({
      address: toHex(address),
      topics: topics.map((topic) => toHex(topic)),
      data: toHex(data),
    })),
  };
}

function rejection(hash: string, status: number, message: string): Receipt {
  return {
    version: 0,
    transactionHash: hash,
    blockNumber: -1,
    status,
    message: `${statusName(status)}: ${message}`,
    output: '0x',
    contractAddress: '',
    from: '',
    to: '',
    gasUsed: '0',
    input: '0x',
    logEntries: [],
  };
}
