import {
  createEVM,
  type CustomPrecompile,
  type EVM,
  type EVMMockBlockchainInterface,
  type EVMResult,
} from '@ethereumjs/evm';
import { encodeErrorResult, parseAbi, toHex } from 'viem';
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
import { ExecutionBudget, ExecutionTimeout } from './budget.js';

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
  /** Where the node reports what went wrong without a client to tell: one line each, no secrets. */
  log?: (line: string) => void;
}

/** FISCO accepts `current < blockLimit ≤ current + 1000` (txpool MaxBlockLimit). */
export const MAX_BLOCK_LIMIT_AHEAD = 1000;
/**
 * The largest signed transaction, and the largest call data, the node takes. Yilian's largest
 * transaction, a 1,024-item `pushBatch`, is about 0.4 MB; longer step data fits with room to spare.
 */
export const MAX_INPUT_BYTES = 4 * 1024 * 1024;
/** Gas one transaction or call may use: FISCO's default `tx_gas_limit`. */
const GAS_CAP = 300_000_000n;
/**
 * Wall time one transaction may run. Gas alone does not bound it here: a tight loop burns the gas
 * cap in 25–45 s on this EVM, while a 1,024-item `pushBatch` (190 M gas) takes about 3 s.
 */
export const TRANSACTION_TIME_BUDGET_MS = 10_000;
/** Wall time one read-only call may run; Yilian's reads take milliseconds. */
export const CALL_TIME_BUDGET_MS = 5_000;
/** Read-only calls run beside each other and beside block execution, this many at once. */
const MAX_CONCURRENT_CALLS = 8;
/** After a block could not be stored, the next attempt waits this long. */
const SEAL_RETRY_MS = 1000;
const BLOCK_GAS_LIMIT = 30_000_000_000n;
const ZERO_HASH = `0x${'00'.repeat(32)}`;

interface PendingTransaction {
  hash: string;
  tx: SignedTransaction;
  raw: Uint8Array;
  sender: string;
  resolve: (receipt: Receipt) => void;
  /** It was in a block that could not be stored: from then on it is sealed alone. */
  suspect?: boolean;
}

/** An EVM with the budget it checks in with, and the state it runs on. */
interface Executor {
  evm: EVM;
  budget: ExecutionBudget;
  state: PersistentStateManager;
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
  private readonly callers: CallExecutors;
  /** Since the last block that was stored: why storing failed, how often, and whom it refused. */
  private sealTrouble: { reason: string; attempts: number; refused: number } | undefined;

  private constructor(
    private readonly options: Required<DevChainOptions>,
    private readonly store: ChainStore,
    private readonly executor: Executor,
    private readonly blockchain: EVMMockBlockchainInterface,
    private head: StoredBlock,
  ) {
    this.callers = new CallExecutors(() =>
      createExecutor(new PersistentStateManager(), this.blockchain, this.options.precompiles),
    );
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
      log: (line) => console.error(`devchain: ${line}`),
      ...options,
    };
    const store = new ChainStore(settings.dataDir);
    const stored = store.head();
    const stateManager = await PersistentStateManager.fromSnapshot(store.loadState());
    const blockchain: EVMMockBlockchainInterface = {
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
    const executor = await createExecutor(stateManager, blockchain, settings.precompiles);
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
    return new DevChain(settings, store, executor, blockchain, head);
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
    if (raw.length > MAX_INPUT_BYTES)
      return Promise.resolve(
        rejection(
          '',
          TransactionStatus.Malformed,
          `transaction of ${raw.length} bytes, over the ${MAX_INPUT_BYTES}-byte limit`,
        ),
      );
    let tx: SignedTransaction;
    try {
      tx = decodeTransaction(raw);
    } catch (error) {
      return Promise.resolve(rejection('', TransactionStatus.Malformed, (error as Error).message));
    }
    const hash = toHex(tx.dataHash);
    const refuse = (status: number, message: string) => Promise.resolve(rejection(hash, status, message));
    const malformed = malformedField(tx);
    if (malformed) return refuse(TransactionStatus.Malformed, malformed);
    if (tx.data.chainId !== this.options.chainId)
      return refuse(TransactionStatus.InvalidChainId, `chain id ${tx.data.chainId} is not ${this.options.chainId}`);
    if (tx.data.groupId !== this.options.groupId)
      return refuse(TransactionStatus.InvalidGroupId, `group id ${tx.data.groupId} is not ${this.options.groupId}`);
    const { problems, sender } = verifyTransaction(tx, recoverNatively);
    if (problems.length > 0 || !sender) return refuse(TransactionStatus.InvalidSignature, problems.join('; '));
    const limitProblem = this.blockLimitProblem(tx.data.blockLimit);
    if (limitProblem) return refuse(TransactionStatus.BlockLimitCheckFail, limitProblem);
    if (this.pooled.has(hash))
      return refuse(TransactionStatus.AlreadyInTxPool, `transaction ${hash} is already in the pool`);
    // a committed transaction sent again is refused for its nonce, not its hash: FISCO's pool looks
    // its hash up only among pooled ones (txpoolStorageCheck), and the ledger by nonce
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

  private scheduleBlock(delay?: number): void {
    if (this.batchTimer) return;
    const wait = delay ?? (this.queue.length >= this.options.maxBlockTransactions ? 0 : this.options.batchWindowMs);
    this.batchTimer = setTimeout(() => {
      this.batchTimer = undefined;
      void this.sealBlock();
    }, wait);
  }

  /** Runs `work` alone: blocks never interleave on the state. */
  private serialized<T>(work: () => T | Promise<T>): Promise<T> {
    const result = this.exclusive.then(work, work);
    this.exclusive = result.catch(() => undefined);
    return result;
  }

  /**
   * Executes the next batch and stores it as one block. Never throws: a transaction that fails
   * gets a failed receipt (`execute`), and a block that cannot be stored is dropped from memory
   * with its transactions kept in the pool (`sealFailed`).
   */
  private sealBlock(): Promise<void> {
    return this.serialized(async () => {
      if (this.closed) return;
      const batch = this.nextBatch();
      const number = this.head.number + 1;
      const timestamp = Math.max(Date.now(), this.head.timestamp + 1);
      const environment = blockEnvironment(number, timestamp);
      const executed: Array<{ pending: PendingTransaction; receipt: Receipt }> = [];
      const state = this.executor.state;
      const depth = state.depth;
      await state.checkpoint();
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
        executed.push({ pending, receipt: { ...(await this.execute(pending, environment)), blockNumber: number } });
      }
      let block: StoredBlock;
      try {
        const changes = await state.takeChanges();
        block = sealHeader({
          number,
          parentHash: this.head.hash,
          timestamp,
          stateRoot: nextStateRoot(this.head.stateRoot, changes),
          transactionHashes: executed.map(({ pending }) => pending.hash),
        });
        const rows: StoredTransaction[] = executed.map(({ pending, receipt }, index) => ({
          hash: pending.hash,
          nonce: pending.tx.data.nonce,
          blockNumber: number,
          index,
          raw: pending.raw,
          receipt: JSON.stringify(receipt),
        }));
        this.store.commitBlock(block, rows, changes);
      } catch (error) {
        state.revertTo(depth);
        this.sealFailed(
          number,
          executed.map(({ pending }) => pending),
          error,
        );
        return;
      }
      // the state and the head change in one turn of the event loop: a call sees both or neither
      state.commitSync();
      this.head = block;
      if (this.sealTrouble) {
        const { attempts, refused } = this.sealTrouble;
        this.options.log(
          `stored block ${number}; ${attempts} attempt(s) to store a block had failed, ${refused} transaction(s) were refused`,
        );
        this.sealTrouble = undefined;
      }
      for (const { pending, receipt } of executed) this.release(pending, receipt);
      // what did not fit in this block, or arrived while it was sealed, goes into the next
      if (this.queue.length > 0) this.scheduleBlock();
    });
  }

  /** The pool in arrival order; a transaction from a block that could not be stored comes alone. */
  private nextBatch(): PendingTransaction[] {
    // suspects are put back at the front, so if there is one, the first is one
    return this.queue.splice(0, this.queue[0]?.suspect ? 1 : this.options.maxBlockTransactions);
  }

  /**
   * Storing a block failed, and memory is back to the last stored block. Its transactions stay in
   * the pool, each to be sealed alone from now on: if one of them makes storing fail, it alone is
   * refused (and its sender told why), never the others. The failure is logged once until a block
   * is stored again.
   */
  private sealFailed(number: number, transactions: PendingTransaction[], error: unknown): void {
    const reason = oneLine(error);
    const trouble = (this.sealTrouble ??= { reason: '', attempts: 0, refused: 0 });
    trouble.attempts++;
    if (trouble.reason !== reason) {
      trouble.reason = reason;
      this.options.log(
        `could not store block ${number} (${transactions.length} transaction(s)): ${reason}; ` +
          'they stay in the pool and are sealed one per block, and one that still cannot be stored alone is refused',
      );
    }
    const [alone] = transactions;
    if (transactions.length === 1 && alone?.suspect) {
      trouble.refused++;
      this.release(
        alone,
        rejection(alone.hash, TransactionStatus.TxPoolIsFull, `the node could not store a block with it: ${reason}`),
      );
    } else {
      for (const pending of transactions) pending.suspect = true;
      this.queue.unshift(...transactions);
    }
    if (this.queue.length > 0) this.scheduleBlock(SEAL_RETRY_MS);
  }

  private release(pending: PendingTransaction, receipt: Receipt): void {
    this.pooled.delete(pending.hash);
    this.pooledNonces.delete(pending.tx.data.nonce);
    pending.resolve(receipt);
  }

  /**
   * Runs one transaction inside its own checkpoint, so that nothing it does can take its block
   * down: past its time budget or on any error of the node's own, its changes are dropped and it
   * gets a failed receipt.
   */
  private async execute(
    pending: PendingTransaction,
    block: ReturnType<typeof blockEnvironment>,
  ): Promise<Omit<Receipt, 'blockNumber'>> {
    const { evm, budget, state } = this.executor;
    const depth = state.depth;
    await state.checkpoint();
    // EIP-2200's original values and EIP-2929's warm accounts are per transaction
    state.originalStorageCache.clear();
    try {
      const caller = createAddressFromString(pending.sender);
      budget.start(TRANSACTION_TIME_BUDGET_MS);
      const result = await evm.runCall({
        caller,
        origin: caller,
        ...(pending.tx.data.to ? { to: createAddressFromString(`0x${pending.tx.data.to}`) } : {}),
        data: pending.tx.data.input,
        gasLimit: GAS_CAP,
        skipBalance: true,
        block,
      });
      await evm.journal.cleanup();
      await state.commit();
      return receiptOf(pending, result);
    } catch (error) {
      state.revertTo(depth);
      evm.journal.cleanJournal();
      if (error instanceof ExecutionTimeout)
        return failedReceipt(pending, TransactionStatus.OutOfGas, `${error.message} for one transaction`);
      const reason = oneLine(error);
      this.options.log(`transaction ${pending.hash} failed inside the node: ${reason}`);
      return failedReceipt(pending, TransactionStatus.Unknown, `the node could not execute it: ${reason}`);
    }
  }

  /**
   * Executes against the latest stored state and throws the changes away: FISCO's `call`. Calls
   * run beside each other and beside the block being sealed, each on its own EVM and view of the
   * state; one past its time budget answers OutOfGas with the reason as `Error(string)` output.
   */
  call(to: string, data: Uint8Array): Promise<{ blockNumber: number; output: string; status: number }> {
    if (data.length > MAX_INPUT_BYTES)
      return Promise.reject(new Error(`call data of ${data.length} bytes, over the ${MAX_INPUT_BYTES}-byte limit`));
    return this.callers.use(async ({ evm, budget, state }) => {
      const release = state.readFrom(this.executor.state);
      const blockNumber = this.head.number;
      evm.journal.cleanJournal();
      try {
        const caller = createZeroAddress();
        budget.start(CALL_TIME_BUDGET_MS);
        const result = await evm.runCall({
          caller,
          origin: caller,
          to: createAddressFromString(to),
          data,
          gasLimit: GAS_CAP,
          skipBalance: true,
          block: blockEnvironment(blockNumber + 1, Date.now()),
        });
        return { blockNumber, output: toHex(result.execResult.returnValue), status: statusOf(result, to) };
      } catch (error) {
        if (!(error instanceof ExecutionTimeout)) throw error;
        const output = encodeErrorResult({ abi: errorAbi, errorName: 'Error', args: [`${error.message} for a call`] });
        return { blockNumber, output, status: TransactionStatus.OutOfGas };
      } finally {
        release();
      }
    });
  }

  getCode(address: string): string {
    return toHex(this.executor.state.committedCode(createAddressFromString(address)));
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

/** Hands out at most MAX_CONCURRENT_CALLS executors, made on first need; later calls wait their turn. */
class CallExecutors {
  private readonly idle: Executor[] = [];
  private made = 0;
  private readonly waiting: Array<(executor: Executor) => void> = [];

  constructor(private readonly make: () => Promise<Executor>) {}

  async use<T>(work: (executor: Executor) => Promise<T>): Promise<T> {
    const executor = await this.acquire();
    try {
      return await work(executor);
    } finally {
      const next = this.waiting.shift();
      if (next) next(executor);
      else this.idle.push(executor);
    }
  }

  private async acquire(): Promise<Executor> {
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.made >= MAX_CONCURRENT_CALLS) return new Promise((resolve) => this.waiting.push(resolve));
    this.made++;
    try {
      return await this.make();
    } catch (error) {
      this.made--;
      throw error;
    }
  }
}

async function createExecutor(
  state: PersistentStateManager,
  blockchain: EVMMockBlockchainInterface,
  precompiles: CustomPrecompile[],
): Promise<Executor> {
  const budget = new ExecutionBudget();
  // a Common per EVM: an EVM subscribes to its Common's events for good
  const evm = await createEVM({
    common: new Common({ chain: Mainnet, hardfork: Hardfork.Paris }),
    stateManager: state,
    blockchain,
    customPrecompiles: precompiles,
    customOpcodes: budget.customOpcodes,
  });
  budget.watch(evm);
  return { evm, budget, state };
}

/**
 * What the pool can tell is wrong without executing: a field that would otherwise fail only in
 * execution, where it used to take the whole block down with it.
 */
function malformedField(tx: SignedTransaction): string | undefined {
  if (tx.data.version !== 0 && tx.data.version !== 1)
    return `transaction version ${tx.data.version} is not supported (0 or 1)`;
  if (tx.data.to !== '' && !/^[0-9a-fA-F]{40}$/.test(tx.data.to))
    return `to must be an address as 40 hex digits without 0x, or empty to deploy (got ${tx.data.to.length} characters)`;
  return undefined;
}

const errorAbi = parseAbi(['error Error(string)']);

/** An error's message on one bounded line, for a log line or a receipt. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').slice(0, 200);
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
    ...executedReceipt(pending),
    status,
    message:
      status === TransactionStatus.None
        ? ''
        : revertReason(toHex(exec.returnValue)) || `${statusName(status)}: ${exec.exceptionError?.error ?? ''}`,
    output: toHex(exec.returnValue),
    contractAddress:
      !to && result.createdAddress && status === TransactionStatus.None ? result.createdAddress.toString() : '',
    gasUsed: exec.executionGasUsed.toString(),
    logEntries: (exec.logs ?? []).map(([address, topics, data]) => ({
      address: toHex(address),
      topics: topics.map((topic) => toHex(topic)),
      data: toHex(data),
    })),
  };
}

/** A transaction that was executed but cut short: all its gas used, its changes dropped. */
function failedReceipt(pending: PendingTransaction, status: number, message: string): Omit<Receipt, 'blockNumber'> {
  return {
    ...executedReceipt(pending),
    status,
    message: `${statusName(status)}: ${message}`,
    output: '0x',
    contractAddress: '',
    gasUsed: GAS_CAP.toString(),
    logEntries: [],
  };
}

function executedReceipt(
  pending: PendingTransaction,
): Pick<Receipt, 'version' | 'transactionHash' | 'from' | 'to' | 'input'> {
  return {
    version: 0,
    transactionHash: pending.hash,
    from: pending.sender,
    to: pending.tx.data.to ? `0x${pending.tx.data.to}` : '',
    input: toHex(pending.tx.data.input),
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
