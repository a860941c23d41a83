import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { toHex, type Hex } from 'viem';
import { equalBytes } from '../crypto/bytes.js';
import { addressOf, recoverPublicKeyFromDigest } from '../crypto/identity.js';
import type { FiscoClient } from '../ledger/fisco-client.js';
import type { Receipt } from '../ledger/receipt.js';
import { TransactionStatus } from '../ledger/status.js';
import { dataHashOf, type TransactionData } from '../ledger/tars-transaction.js';

/** What an audit could not establish from the chain, in words naming what is wrong. */
export class EvidenceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EvidenceError';
  }
}

/** A transaction as the auditor re-derived it: its fields hash to its hash, and its signature names the sender. */
export interface CheckedTransaction {
  hash: Hex;
  /** Recovered here from the signature over the recomputed hash, not taken from the node's `from`. */
  sender: Hex;
  to: Hex;
  input: Uint8Array;
  blockNumber: number;
}

/** The most transactions of one block the auditor reads receipts for: FISCO's default block cap. */
export const MAX_BLOCK_TRANSACTIONS = 2000;

/**
 * The chain as an auditor reads it: one FISCO client and small caches, so that many steps of one
 * batch cost one read of their block and one of their transaction. Nothing here trusts the engine;
 * it trusts only the node's answers, and re-derives transaction hashes and senders from them.
 */
export class ChainEvidence {
  private readonly blocks = new Map<number, Promise<{ timestamp: number; transactions: Hex[] }>>();
  private readonly receipts = new Map<string, Promise<Receipt>>();
  private readonly transactions = new Map<string, Promise<CheckedTransaction>>();
  private readonly hashes = new Map<number, Promise<Hex>>();

  constructor(readonly chain: FiscoClient) {}

  block(number: number): Promise<{ timestamp: number; transactions: Hex[] }> {
    let block = this.blocks.get(number);
    if (!block) {
      block = this.chain.getBlock(number).then(({ timestamp, transactions }) => {
        if (transactions.length > MAX_BLOCK_TRANSACTIONS)
          throw new EvidenceError(
            `block ${number} holds ${transactions.length} transactions, more than the ${MAX_BLOCK_TRANSACTIONS} an audit reads`,
          );
        return { timestamp, transactions: transactions as Hex[] };
      });
      this.blocks.set(number, block);
    }
    return block;
  }

  blockHash(number: number): Promise<Hex> {
    let hash = this.hashes.get(number);
    if (!hash) {
      hash = this.chain.getBlockHash(number).then((text) => text.toLowerCase() as Hex);
      this.hashes.set(number, hash);
    }
    return hash;
  }

  receipt(hash: string): Promise<Receipt> {
    let receipt = this.receipts.get(hash);
    if (!receipt) {
      receipt = this.chain.getTransactionReceipt(hash).then((answer) => {
        if (!answer) throw new EvidenceError(`the node has no receipt for transaction ${hash}`);
        return answer;
      });
      this.receipts.set(hash, receipt);
    }
    return receipt;
  }

  transaction(hash: string): Promise<CheckedTransaction> {
    let tx = this.transactions.get(hash);
    if (!tx) {
      tx = this.chain
        .rpc<TransactionJson | null>('getTransaction', [
          this.chain.settings.groupId,
          this.chain.settings.nodeName ?? '',
          hash,
          false,
        ])
        .then((answer) => {
          if (!answer) throw new EvidenceError(`the node has no transaction ${hash}`);
          return checkTransaction(hash, answer);
        });
      this.transactions.set(hash, tx);
    }
    return tx;
  }

  /**
   * The successful transactions of `block` sent to `address` whose receipt carries a log with
   * these topics (and, if given, this data): how an audit finds the transaction behind a
   * `RecordCreated(id)` or `StepAppended(id, index)` without any index the engine keeps.
   */
  async transactionsWithLog(
    block: number,
    log: { address: string; topics: readonly Hex[]; data?: Hex },
  ): Promise<Receipt[]> {
    const { transactions } = await this.block(block);
    const receipts = await Promise.all(transactions.map((hash) => this.receipt(hash)));
    const address = log.address.toLowerCase();
    return receipts.filter(
      (receipt) =>
        receipt.status === TransactionStatus.None &&
        receipt.logEntries.some(
          (entry) =>
            entry.address.toLowerCase() === address &&
            entry.topics.length === log.topics.length &&
            entry.topics.every((topic, i) => topic.toLowerCase() === log.topics[i]) &&
            (log.data === undefined || BigInt(entry.data === '0x' ? 0 : entry.data) === BigInt(log.data)),
        ),
    );
  }
}

/** `getTransaction`'s answer: FISCO 3.x writes chainID/groupID, the dev chain chainId/groupId. */
interface TransactionJson {
  hash?: string;
  blockNumber?: number | string;
  version?: number | string;
  chainID?: string;
  chainId?: string;
  groupID?: string;
  groupId?: string;
  blockLimit?: number | string;
  nonce?: string;
  to?: string;
  input?: string;
  abi?: string;
  value?: string;
  gasPrice?: string;
  gasLimit?: number | string;
  maxFeePerGas?: string;
  maxPriorityFeePerGas?: string;
  signature?: string;
}

const bytesOf = (hex: string | undefined) => hexToBytes((hex ?? '').replace(/^0x/i, ''));

/** Rebuilds the signed fields, recomputes the data hash and recovers the sender from the signature. */
function checkTransaction(hash: string, json: TransactionJson): CheckedTransaction {
  let data: TransactionData;
  let signature: Uint8Array;
  try {
    data = {
      version: Number(json.version ?? 0),
      chainId: json.chainID ?? json.chainId ?? '',
      groupId: json.groupID ?? json.groupId ?? '',
      blockLimit: BigInt(json.blockLimit ?? 0),
      nonce: json.nonce ?? '',
      to: (json.to ?? '').replace(/^0x/i, '').toLowerCase(),
      input: bytesOf(json.input),
      abi: json.abi ?? '',
      value: json.value ?? '',
      gasPrice: json.gasPrice ?? '',
      gasLimit: BigInt(json.gasLimit ?? 0),
      maxFeePerGas: json.maxFeePerGas ?? '',
      maxPriorityFeePerGas: json.maxPriorityFeePerGas ?? '',
    };
    signature = bytesOf(json.signature);
  } catch (cause) {
    throw new EvidenceError(`transaction ${hash} as the node returned it is malformed: ${(cause as Error).message}`, {
      cause,
    });
  }
  const computed = dataHashOf(data);
  if (!equalBytes(computed, bytesOf(hash)))
    throw new EvidenceError(
      `transaction ${hash}: its fields hash to 0x${bytesToHex(computed)}, not to its hash (the node returned other fields than were signed)`,
    );
  let sender: Hex;
  try {
    sender = toHex(addressOf(recoverPublicKeyFromDigest(signature, computed)));
  } catch (cause) {
    throw new EvidenceError(`transaction ${hash}: its signature does not verify (${(cause as Error).message})`, {
      cause,
    });
  }
  return {
    hash: hash.toLowerCase() as Hex,
    sender,
    to: `0x${data.to}`,
    input: data.input,
    blockNumber: Number(json.blockNumber ?? -1),
  };
}
