import { bytesToHex } from '@noble/hashes/utils.js';
import { encodeTransaction } from './tars-transaction.js';
import { signTransaction, type DigestSigner, type UnsignedTransaction } from './sign-transaction.js';
import { isPoolRejection, statusName, TransactionStatus } from './status.js';
import { LedgerError } from './errors.js';
import type { Receipt } from './receipt.js';

export interface Block {
  /** Milliseconds since the epoch. */
  timestamp: number;
  /** Transaction hashes, lower-case hex; empty for a header-only read. */
  transactions: string[];
}
import { redactUrl } from '../redact-url.js';

// A plain timer promise rather than Node's timers module, so the client also runs in a browser.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface LedgerSettings {
  /** The node's JSON-RPC endpoint, e.g. http://127.0.0.1:20200 (FISCO `[rpc] enable_ssl=false`). */
  rpcUrl: string;
  chainId: string;
  groupId: string;
  /** Which node of the group answers; empty lets the RPC service choose. */
  nodeName?: string;
  /** How long a transaction may take from sending to receipt. */
  receiptTimeoutMs?: number;
  /** Transaction signing; @noble by default, native's `signDigest` in a Node engine (same bytes, faster). */
  signer?: DigestSigner;
}

/** SDK practice: the transaction stays valid for the next 500 blocks. */
export const BLOCK_LIMIT_AHEAD = 500n;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * A small, exact FISCO BCOS 3.x client over JSON-RPC: the methods Yilian needs, signed tars
 * transactions, and receipts mapped to typed errors. Sending is idempotent: the same signed bytes
 * are re-sent while the node is unreachable, and a refusal that means "already in the chain"
 * (its nonce used, by this very transaction) counts as committed, so a node restart never loses
 * or duplicates a transaction.
 */
export class FiscoClient {
  private requestId = 0;
  private recentBlock: { number: number; at: number } | undefined;
  /** The RPC URL without credentials, and the credentials as a Basic header (fetch refuses them in a URL). */
  private readonly endpoint: { url: string; authorization?: string };

  constructor(readonly settings: LedgerSettings) {
    const url = new URL(settings.rpcUrl);
    const credentials =
      url.username || url.password
        ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
        : undefined;
    url.username = '';
    url.password = '';
    this.endpoint = { url: url.toString(), ...(credentials ? { authorization: `Basic ${btoa(credentials)}` } : {}) };
  }

  async rpc<T>(method: string, params: unknown[]): Promise<T> {
    const response = await this.post(method, params)
      .catch((error: unknown) =>
        // a kept-alive connection the node closed just as we reused it; every call here is safe to repeat
        isStaleConnection(error)
          ? this.post(method, params)
          : Promise.reject(error instanceof Error ? error : new Error(String(error))),
      )
      .catch((error: unknown) => {
        throw new LedgerError(
          'UNAVAILABLE',
          `chain node ${redactUrl(this.settings.rpcUrl)} unreachable on ${method}: ${(error as Error).message}`,
          {},
          { cause: error },
        );
      });
    if (!response.ok)
      // a node answers JSON-RPC errors with 200; anything else is a proxy or gateway in between
      throw new LedgerError(
        'UNAVAILABLE',
        `chain node ${redactUrl(this.settings.rpcUrl)} answered ${method} with HTTP ${response.status}`,
      );
    let body: { result?: T; error?: { code: number; message: string } };
    try {
      body = (await response.json()) as typeof body;
    } catch (error) {
      throw new LedgerError(
        'UNAVAILABLE',
        `chain node ${redactUrl(this.settings.rpcUrl)} answered ${method} with HTTP ${response.status} and no JSON`,
        {},
        { cause: error },
      );
    }
    if (body.error) {
      const code = body.error.code === -40001 ? 'WRONG_CHAIN' : 'RPC';
      throw new LedgerError(code, `${method} failed: ${body.error.message} (${body.error.code})`, {
        rpcCode: body.error.code,
        rpcMessage: body.error.message,
      });
    }
    return body.result as T;
  }

  private post(method: string, params: unknown[]): Promise<Response> {
    return fetch(this.endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.endpoint.authorization ? { authorization: this.endpoint.authorization } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.requestId, method, params }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  }

  /** 3.x parameters start with the group and the node name. */
  private node(...rest: unknown[]): unknown[] {
    return [this.settings.groupId, this.settings.nodeName ?? '', ...rest];
  }

  getBlockNumber(): Promise<number> {
    return this.rpc<number>('getBlockNumber', this.node());
  }

  getBlockHash(number: number): Promise<string> {
    return this.rpc<string>('getBlockHashByNumber', this.node(number));
  }

  /**
   * A block's seal time (milliseconds) and, unless `headerOnly`, its transactions' hashes in lower
   * case. FISCO 3.x takes `onlyHeader` and `onlyTxHash`; a node that answers whole transactions
   * anyway is read by their hashes.
   */
  async getBlock(number: number, options: { headerOnly?: boolean } = {}): Promise<Block> {
    const answer = await this.rpc<{ timestamp: number | string; transactions?: Array<string | { hash: string }> }>(
      'getBlockByNumber',
      this.node(number, options.headerOnly === true, true),
    );
    return {
      timestamp: Number(answer.timestamp),
      transactions: (answer.transactions ?? []).map((tx) => (typeof tx === 'string' ? tx : tx.hash).toLowerCase()),
    };
  }

  getCode(address: string): Promise<string> {
    return this.rpc<string>('getCode', this.node(address));
  }

  getGroupInfo(): Promise<{ chainID: string; groupID: string }> {
    return this.rpc('getGroupInfo', [this.settings.groupId]);
  }

  /** Fails with WRONG_CHAIN unless the node serves the configured chain and group. */
  async checkChain(): Promise<void> {
    const info = await this.getGroupInfo();
    if (info.chainID !== this.settings.chainId || info.groupID !== this.settings.groupId) {
      throw new LedgerError(
        'WRONG_CHAIN',
        `node ${redactUrl(this.settings.rpcUrl)} serves chain ${info.chainID} group ${info.groupID}, not ${this.settings.chainId}/${this.settings.groupId}`,
      );
    }
  }

  call(to: string, data: string): Promise<{ blockNumber: number; output: string; status: number }> {
    return this.rpc('call', this.node(to, data));
  }

  getTransactionReceipt(hash: string): Promise<Receipt | null> {
    return this.rpc<Receipt | null>('getTransactionReceipt', this.node(hash, false));
  }

  /**
   * The block number, re-read at most once a second: a blockLimit 500 blocks ahead of a number a
   * second old is still far inside the node's window, and a busy sender saves a round trip per
   * transaction.
   */
  private async currentBlock(): Promise<number> {
    if (!this.recentBlock || Date.now() - this.recentBlock.at > 1000)
      this.recentBlock = { number: await this.getBlockNumber(), at: Date.now() };
    return this.recentBlock.number;
  }

  /** Signs with a fresh nonce and `blockLimit = current + 500`, sends, and waits for the receipt. */
  async send(
    unsigned: Omit<UnsignedTransaction, 'chainId' | 'groupId' | 'blockLimit'>,
    secretKey: Uint8Array,
  ): Promise<Receipt> {
    const current = await this.currentBlock();
    const tx = signTransaction(
      {
        ...unsigned,
        chainId: this.settings.chainId,
        groupId: this.settings.groupId,
        blockLimit: BigInt(current) + BLOCK_LIMIT_AHEAD,
      },
      secretKey,
      this.settings.signer,
    );
    return this.sendSigned(encodeTransaction(tx), `0x${bytesToHex(tx.dataHash)}`);
  }

  /** Sends signed bytes until they are committed once, then returns the receipt or throws its failure. */
  async sendSigned(raw: Uint8Array, hash: string): Promise<Receipt> {
    const deadline = Date.now() + (this.settings.receiptTimeoutMs ?? 120_000);
    const payload = `0x${bytesToHex(raw)}`;
    for (let attempt = 0; ; attempt++) {
      let receipt: Receipt | null;
      try {
        receipt = await this.rpc<Receipt>('sendTransaction', this.node(payload, false));
        if (
          receipt.status === TransactionStatus.TxAlreadyInChain ||
          receipt.status === TransactionStatus.AlreadyInTxPool
        ) {
          receipt = await this.pollReceipt(hash, deadline);
        } else if (
          receipt.status === TransactionStatus.NonceCheckFail ||
          receipt.status === TransactionStatus.BlockLimitCheckFail
        ) {
          // FISCO refuses a committed transaction sent again for its nonce (or, later, its block
          // limit), not as already in the chain: after an answer lost with the node, that is ours
          receipt = (await this.getTransactionReceipt(hash)) ?? receipt;
        }
      } catch (error) {
        if (!(error instanceof LedgerError) || error.code !== 'UNAVAILABLE') throw error;
        // the node may have committed it before going away: ask before sending again
        receipt = await this.getTransactionReceipt(hash).catch(() => null);
      }
      if (receipt) return checkReceipt(receipt, hash);
      if (Date.now() > deadline)
        throw new LedgerError('TIMEOUT', `no receipt for transaction ${hash} before the deadline`, {
          transactionHash: hash,
        });
      await sleep(Math.min(2000, 100 * 2 ** attempt));
    }
  }

  private async pollReceipt(hash: string, deadline: number): Promise<Receipt> {
    for (let attempt = 0; ; attempt++) {
      const receipt = await this.getTransactionReceipt(hash);
      if (receipt) return receipt;
      if (Date.now() > deadline)
        throw new LedgerError('TIMEOUT', `no receipt for transaction ${hash} before the deadline`, {
          transactionHash: hash,
        });
      await sleep(Math.min(1000, 50 * 2 ** attempt));
    }
  }
}

function isStaleConnection(error: unknown): boolean {
  const code = ((error as { cause?: { code?: string } }).cause ?? {}).code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}

/** Maps a receipt's status to success or the typed failure it stands for. */
export function checkReceipt(receipt: Receipt, hash = receipt.transactionHash): Receipt {
  const status = receipt.status;
  if (status === TransactionStatus.None) return receipt;
  const details = { status, transactionHash: hash };
  const reason = receipt.message || statusName(status);
  if (status === TransactionStatus.RevertInstruction)
    throw new LedgerError('REVERTED', `transaction ${hash} reverted: ${reason}`, details);
  if (status === TransactionStatus.PrecompiledError)
    throw new LedgerError('PRECOMPILE', `transaction ${hash} failed in a precompiled contract: ${reason}`, details);
  if (isPoolRejection(status))
    throw new LedgerError('REJECTED', `the node refused transaction ${hash}: ${reason}`, details);
  throw new LedgerError('EXECUTION', `transaction ${hash} failed (${statusName(status)}): ${reason}`, details);
}
