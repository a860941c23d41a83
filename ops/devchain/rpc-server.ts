import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { inspectTransaction } from '../../core/ledger/inspect-transaction.js';
import type { DevChain } from './chain.js';

/** JSON-RPC errors FISCO BCOS returns; a wrong group is -40001 as in its RPC error table. */
class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 64 * 1024 * 1024;
const NODE_NAME = 'devchain-node0';

function hexArgument(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string' || !/^(0x)?([0-9a-fA-F]{2})*$/.test(value))
    throw new RpcError(-32602, `${what} must be hex`);
  return hexToBytes(value.replace(/^0x/, ''));
}

function integerArgument(value: unknown, what: string): number {
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0)
    throw new RpcError(-32602, `${what} must be a block number`);
  return number;
}

/**
 * The FISCO BCOS 3.x JSON-RPC subset Yilian's client uses, over plain HTTP (FISCO's
 * `enable_ssl=false`): every method takes `[groupID, nodeName, ...]`.
 */
export function createRpcServer(chain: DevChain): Server {
  const methods: Record<string, (params: unknown[]) => unknown> = {
    getGroupInfo: () => ({
      chainID: chain.chainId,
      groupID: chain.groupId,
      genesisConfig: { consensusType: 'devchain', blockTxCountLimit: 2000, txGasLimit: 300000000 },
      nodeList: [
        {
          name: NODE_NAME,
          type: 0,
          iniConfig: { chainID: chain.chainId, groupID: chain.groupId, isWasm: false, smCryptoType: false },
        },
      ],
    }),
    getBlockNumber: () => chain.blockNumber(),
    getBlockHashByNumber: ([, , number]) => {
      const block = chain.block(integerArgument(number, 'block number'));
      if (!block) throw new RpcError(-32602, `block ${String(number)} does not exist`);
      return block.hash;
    },
    getBlockByNumber: ([, , number]) => {
      const block = chain.block(integerArgument(number, 'block number'));
      if (!block) throw new RpcError(-32602, `block ${String(number)} does not exist`);
      return {
        number: block.number,
        hash: block.hash,
        parentInfo: block.number > 0 ? [{ blockNumber: block.number - 1, blockHash: block.parentHash }] : [],
        timestamp: block.timestamp,
        stateRoot: block.stateRoot,
        transactions: block.transactionHashes,
      };
    },
    call: ([, , to, data]) => chain.call(String(to), hexArgument(data, 'call data')),
    sendTransaction: ([, , tx]) => chain.submit(hexArgument(tx, 'transaction')),
    getTransactionReceipt: ([, , hash]) => chain.receipt(String(hash)),
    getTransaction: ([, , hash]) => {
      const found = chain.transaction(String(hash));
      if (!found) return null;
      const report = inspectTransaction(bytesToHex(found.raw));
      return { hash: report.dataHash, blockNumber: found.blockNumber, from: report.sender, ...report.fields };
    },
    getCode: ([, , address]) => chain.getCode(String(address)),
  };

  return createServer((request, response) => void answer(request, response));

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let id: unknown = null;
    const reply = (body: object) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ jsonrpc: '2.0', id, ...body }));
    };
    try {
      if (request.method !== 'POST') throw new RpcError(-32600, 'JSON-RPC requests are POSTed');
      const message = JSON.parse(await readBody(request)) as { id?: unknown; method?: unknown; params?: unknown };
      id = message.id ?? null;
      const method = typeof message.method === 'string' ? methods[message.method] : undefined;
      if (!method) throw new RpcError(-32601, `method ${String(message.method)} is not served by the dev chain`);
      const params = Array.isArray(message.params) ? message.params : [];
      if (message.method !== 'getGroupInfo' || params.length > 0) {
        if (params[0] !== chain.groupId)
          throw new RpcError(-40001, `GroupID ${String(params[0])} does not exist (this node serves ${chain.groupId})`);
      }
      reply({ result: await method(params) });
    } catch (error) {
      const code = error instanceof RpcError ? error.code : error instanceof SyntaxError ? -32700 : -32603;
      reply({ error: { code, message: (error as Error).message } });
    }
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new RpcError(-32600, `request larger than ${MAX_BODY} bytes`));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
