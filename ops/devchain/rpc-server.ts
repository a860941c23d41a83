import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { inspectTransaction } from '../../core/ledger/inspect-transaction.js';
import { MAX_INPUT_BYTES, type DevChain } from './chain.js';

/** JSON-RPC errors FISCO BCOS returns; a wrong group is -40001 as in its RPC error table. */
class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** The largest input as hex in the JSON envelope: refused on its length, before it is parsed. */
const MAX_BODY = 2 * MAX_INPUT_BYTES + 64 * 1024;
/**
 * No request of the API nests deeper than 3 levels. JSON.parse copes with any depth, but whatever
 * walks the value afterwards (String(), JSON.stringify of the id) recurses once per level and
 * overflows the stack on a body of a few MB of brackets, so depth is checked before parsing.
 */
const MAX_NESTING = 32;
const NODE_NAME = 'devchain-node0';

function parseRequest(text: string): { id?: unknown; method?: unknown; params?: unknown } {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // an escaped character cannot end the string
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_NESTING) throw new RpcError(-32600, `request nested deeper than ${MAX_NESTING} levels`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return JSON.parse(text) as { id?: unknown; method?: unknown; params?: unknown };
}

/** A value from the request in an error message: strings quoted and cut short, anything else by its type. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
}

function hexArgument(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string') throw new RpcError(-32602, `${what} must be hex`);
  const digits = value.startsWith('0x') ? value.slice(2) : value;
  if (digits.length > 2 * MAX_INPUT_BYTES)
    throw new RpcError(-32602, `${what} of ${digits.length / 2} bytes, over the ${MAX_INPUT_BYTES}-byte limit`);
  // no group in the pattern: a repeated group recurses per repetition and overflows the stack on megabytes
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) throw new RpcError(-32602, `${what} must be hex`);
  return hexToBytes(digits);
}

function addressArgument(value: unknown, what: string): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value))
    throw new RpcError(-32602, `${what} must be an address (0x and 40 hex digits)`);
  return value;
}

function hashArgument(value: unknown, what: string): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(value))
    throw new RpcError(-32602, `${what} must be a hash (0x and 64 hex digits)`);
  return value;
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
    call: ([, , to, data]) => chain.call(addressArgument(to, 'to'), hexArgument(data, 'call data')),
    sendTransaction: ([, , tx]) => chain.submit(hexArgument(tx, 'transaction')),
    getTransactionReceipt: ([, , hash]) => chain.receipt(hashArgument(hash, 'transaction hash')),
    getTransaction: ([, , hash]) => {
      const found = chain.transaction(hashArgument(hash, 'transaction hash'));
      if (!found) return null;
      const report = inspectTransaction(bytesToHex(found.raw));
      return { hash: report.dataHash, blockNumber: found.blockNumber, from: report.sender, ...report.fields };
    },
    getCode: ([, , address]) => chain.getCode(addressArgument(address, 'address')),
  };

  // answer() replies to every failure itself; should replying fail too, the connection is dropped
  // rather than the error escaping and taking the node down
  return createServer((request, response) => {
    answer(request, response).catch(() => response.destroy());
  });

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let id: unknown = null;
    const reply = (body: object) => {
      // serialised before the head is written: if this throws, the error can still be answered
      const text = JSON.stringify({ jsonrpc: '2.0', id, ...body });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(text);
    };
    try {
      if (request.method !== 'POST') throw new RpcError(-32600, 'JSON-RPC requests are POSTed');
      if (Number(request.headers['content-length']) > MAX_BODY) {
        response.shouldKeepAlive = false;
        await discardRest(request);
        throw tooLarge();
      }
      const message = parseRequest(await readBody(request, response));
      id = message.id ?? null;
      const method =
        typeof message.method === 'string' && Object.hasOwn(methods, message.method)
          ? methods[message.method]
          : undefined;
      if (!method) throw new RpcError(-32601, `method ${shown(message.method)} is not served by the dev chain`);
      const params = Array.isArray(message.params) ? message.params : [];
      if (message.method !== 'getGroupInfo' || params.length > 0) {
        if (params[0] !== chain.groupId)
          throw new RpcError(-40001, `GroupID ${shown(params[0])} does not exist (this node serves ${chain.groupId})`);
      }
      reply({ result: await method(params) });
    } catch (error) {
      const code = error instanceof RpcError ? error.code : error instanceof SyntaxError ? -32700 : -32603;
      reply({ error: { code, message: (error as Error).message } });
    }
  }

  function readBody(request: IncomingMessage, response: ServerResponse): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onEnd = () => resolve(Buffer.concat(chunks).toString('utf8'));
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY) {
          chunks.push(chunk);
          return;
        }
        request.off('data', onData);
        request.off('end', onEnd);
        response.shouldKeepAlive = false;
        discardRest(request).then(() => {
          reject(tooLarge());
        }, reject);
      };
      request.on('data', onData);
      request.on('end', onEnd);
      request.on('error', reject);
    });
  }
}

const tooLarge = () => new RpcError(-32600, `request body over the ${MAX_BODY}-byte limit`);

/** Past this much of a refused body the connection is dropped without an answer. */
const DRAIN_LIMIT = 8 * MAX_BODY;

/**
 * Reads and drops the rest of a refused body before it is answered: a client still sending when
 * the connection closes on it sees a reset instead of the answer (fetch reports only "fetch
 * failed"). A body far past the limit is cut off rather than read to its end.
 */
function discardRest(request: IncomingMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    let drained = 0;
    request.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained <= DRAIN_LIMIT) return;
      request.destroy();
      reject(new Error(`request body far over the ${MAX_BODY}-byte limit: connection dropped`));
    });
    request.once('end', resolve);
    request.once('error', reject);
    request.resume();
  });
}
