import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { u32be } from '../crypto/bytes.js';
import { missingField, TarsError, TarsReader, TarsWriter } from './tars.js';

/**
 * FISCO BCOS 3.x transactions (bcos-tars-protocol Transaction.tars) in tars encoding, written as
 * the reference SDKs write them: required fields always, optional fields only when they differ
 * from their default, tags ascending. Integers use the smallest tars width; byte vectors are
 * SimpleLists (the codec is ./tars.ts). The go-sdk vector HELLOWORLD_SET_TX round-trips byte for byte.
 */
export interface TransactionData {
  /** 0: the base format; 1 adds the EIP-1559-style fee fields. */
  version: number;
  chainId: string;
  groupId: string;
  blockLimit: bigint;
  /** A decimal string of a random 256-bit number: the node refuses a nonce it has seen. */
  nonce: string;
  /** Lowercase hex without 0x; empty for a deployment. */
  to: string;
  input: Uint8Array;
  /** The contract ABI JSON, for deployments only. */
  abi: string;
  value: string;
  gasPrice: string;
  gasLimit: bigint;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
}

export interface SignedTransaction {
  data: TransactionData;
  dataHash: Uint8Array;
  /** r‖s‖v, 65 bytes, v ∈ {0, 1}. */
  signature: Uint8Array;
  importTime: bigint;
  attribute: number;
  sender: Uint8Array;
  extraData: string;
}

export class TransactionFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransactionFormatError';
  }
}

export const transactionDataDefaults: Omit<TransactionData, 'chainId' | 'groupId' | 'blockLimit' | 'nonce'> = {
  version: 0,
  to: '',
  input: new Uint8Array(),
  abi: '',
  value: '',
  gasPrice: '',
  gasLimit: 0n,
  maxFeePerGas: '',
  maxPriorityFeePerGas: '',
};

const SUPPORTED_VERSIONS = new Set([0, 1]);

function i64be(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, value);
  return out;
}

/**
 * The bytes the data hash covers: the fields concatenated, not their tars encoding
 * (go-sdk v3/types/transaction.go, java-sdk JsonTransactionResponse.calculateHash).
 */
export function dataHashPreimage(data: TransactionData): Uint8Array {
  if (!SUPPORTED_VERSIONS.has(data.version)) {
    throw new TransactionFormatError(`transaction version ${data.version} is not supported (supported: 0, 1)`);
  }
  const parts = [
    u32be(data.version),
    utf8ToBytes(data.chainId),
    utf8ToBytes(data.groupId),
    i64be(data.blockLimit),
    utf8ToBytes(data.nonce),
    utf8ToBytes(data.to),
    data.input,
    utf8ToBytes(data.abi),
  ];
  if (data.version === 1) {
    parts.push(
      utf8ToBytes(data.value),
      utf8ToBytes(data.gasPrice),
      i64be(data.gasLimit),
      utf8ToBytes(data.maxFeePerGas),
      utf8ToBytes(data.maxPriorityFeePerGas),
    );
  }
  return concatBytes(...parts);
}

export function dataHashOf(data: TransactionData): Uint8Array {
  return keccak_256(dataHashPreimage(data));
}

function writeData(w: TarsWriter, data: TransactionData): void {
  w.int32(1, data.version);
  w.string(2, data.chainId);
  w.string(3, data.groupId);
  w.int64(4, data.blockLimit);
  w.string(5, data.nonce);
  if (data.to) w.string(6, data.to);
  if (data.input.length > 0) w.bytes(7, data.input);
  if (data.abi) w.string(8, data.abi);
  if (data.version >= 1) {
    if (data.value) w.string(9, data.value);
    if (data.gasPrice) w.string(10, data.gasPrice);
    if (data.gasLimit !== 0n) w.int64(11, data.gasLimit);
    if (data.maxFeePerGas) w.string(12, data.maxFeePerGas);
    if (data.maxPriorityFeePerGas) w.string(13, data.maxPriorityFeePerGas);
  }
}

export function encodeTransaction(tx: SignedTransaction): Uint8Array {
  try {
    const w = new TarsWriter();
    w.struct(1, (inner) => writeData(inner, tx.data));
    // dataHash and signature are written even when empty (`d 00 0c`), as this encoder always has
    w.bytes(2, tx.dataHash);
    w.bytes(3, tx.signature);
    if (tx.importTime !== 0n) w.int64(4, tx.importTime);
    if (tx.attribute !== 0) w.int32(5, tx.attribute);
    if (tx.sender.length > 0) w.bytes(7, tx.sender);
    if (tx.extraData) w.string(8, tx.extraData);
    return w.finish();
  } catch (error) {
    if (!(error instanceof TarsError)) throw error;
    throw new TransactionFormatError(`cannot encode the transaction: ${error.message}`, { cause: error });
  }
}

// Unknown fields (TransactionData 14 extension, Transaction 9 type, 10-11 extraTransaction*, and
// any later ones) are skipped. Object literals evaluate in source order, so reads go by ascending tag.
function readData(r: TarsReader): TransactionData {
  return {
    version: r.int32(1, 'version') ?? missingField(1, 'version'),
    chainId: r.string(2, 'chainId') ?? missingField(2, 'chainId'),
    groupId: r.string(3, 'groupId') ?? missingField(3, 'groupId'),
    blockLimit: r.int64(4, 'blockLimit') ?? missingField(4, 'blockLimit'),
    nonce: r.string(5, 'nonce') ?? missingField(5, 'nonce'),
    to: r.string(6, 'to') ?? '',
    input: r.bytes(7, 'input') ?? new Uint8Array(),
    abi: r.string(8, 'abi') ?? '',
    value: r.string(9, 'value') ?? '',
    gasPrice: r.string(10, 'gasPrice') ?? '',
    gasLimit: r.int64(11, 'gasLimit') ?? 0n,
    maxFeePerGas: r.string(12, 'maxFeePerGas') ?? '',
    maxPriorityFeePerGas: r.string(13, 'maxPriorityFeePerGas') ?? '',
  };
}

/**
 * Required: data and, inside it, tags 1-5; dataHash and signature too, although Transaction.tars
 * marks them optional: no node accepts a transaction without them, and requiring them means a
 * transaction cut off at a field boundary is refused instead of read as unsigned.
 */
export function decodeTransaction(bytes: Uint8Array): SignedTransaction {
  try {
    const r = new TarsReader(bytes);
    const tx: SignedTransaction = {
      data: r.struct(1, 'data', readData) ?? missingField(1, 'data'),
      dataHash: r.bytes(2, 'dataHash') ?? missingField(2, 'dataHash'),
      signature: r.bytes(3, 'signature') ?? missingField(3, 'signature'),
      importTime: r.int64(4, 'importTime') ?? 0n,
      attribute: r.int32(5, 'attribute') ?? 0,
      sender: r.bytes(7, 'sender') ?? new Uint8Array(),
      extraData: r.string(8, 'extraData') ?? '',
    };
    r.end();
    return tx;
  } catch (error) {
    if (!(error instanceof TarsError)) throw error;
    throw new TransactionFormatError(`not a FISCO BCOS 3.x tars transaction: ${error.message}`, { cause: error });
  }
}
