import tars from '@tars/stream';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { u32be } from '../crypto/bytes.js';

/**
 * FISCO BCOS 3.x transactions (bcos-tars-protocol Transaction.tars) in tars encoding, written as
 * the reference SDKs write them: required fields always, optional fields only when they differ
 * from their default, tags ascending. Integers use the smallest tars width; byte vectors are
 * SimpleLists. The go-sdk vector HELLOWORLD_SET_TX round-trips byte for byte.
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

type Out = InstanceType<typeof tars.TarsOutputStream>;
type In = InstanceType<typeof tars.TarsInputStream>;

const bin = (bytes: Uint8Array) => {
  const buffer = new tars.BinBuffer();
  buffer.writeNodeBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return buffer;
};

function writeData(os: Out, data: TransactionData): void {
  os.writeInt32(1, data.version);
  os.writeString(2, data.chainId);
  os.writeString(3, data.groupId);
  os.writeInt64(4, data.blockLimit.toString(), true);
  os.writeString(5, data.nonce);
  if (data.to) os.writeString(6, data.to);
  if (data.input.length > 0) os.writeBytes(7, bin(data.input));
  if (data.abi) os.writeString(8, data.abi);
  if (data.version >= 1) {
    if (data.value) os.writeString(9, data.value);
    if (data.gasPrice) os.writeString(10, data.gasPrice);
    if (data.gasLimit !== 0n) os.writeInt64(11, data.gasLimit.toString(), true);
    if (data.maxFeePerGas) os.writeString(12, data.maxFeePerGas);
    if (data.maxPriorityFeePerGas) os.writeString(13, data.maxPriorityFeePerGas);
  }
}

export function encodeTransaction(tx: SignedTransaction): Uint8Array {
  const os = new tars.TarsOutputStream();
  os.writeStruct(1, { _writeTo: (inner: Out) => writeData(inner, tx.data) });
  os.writeBytes(2, bin(tx.dataHash));
  os.writeBytes(3, bin(tx.signature));
  if (tx.importTime !== 0n) os.writeInt64(4, tx.importTime.toString(), true);
  if (tx.attribute !== 0) os.writeInt32(5, tx.attribute);
  if (tx.sender.length > 0) os.writeBytes(7, bin(tx.sender));
  if (tx.extraData) os.writeString(8, tx.extraData);
  return new Uint8Array(os.getBinBuffer().toNodeBuffer());
}

const bytesOf = (is: In, tag: number) => new Uint8Array(is.readBytes(tag, false, tars.BinBuffer).toNodeBuffer());

class DataReader {
  static _readFrom(is: In): TransactionData {
    return {
      version: is.readInt32(1, true),
      chainId: is.readString(2, true),
      groupId: is.readString(3, true),
      blockLimit: BigInt(is.readInt64(4, true, '0', true)),
      nonce: is.readString(5, true),
      to: is.readString(6, false, ''),
      input: bytesOf(is, 7),
      abi: is.readString(8, false, ''),
      value: is.readString(9, false, ''),
      gasPrice: is.readString(10, false, ''),
      gasLimit: BigInt(is.readInt64(11, false, '0', true)),
      maxFeePerGas: is.readString(12, false, ''),
      maxPriorityFeePerGas: is.readString(13, false, ''),
    };
  }
}

export function decodeTransaction(bytes: Uint8Array): SignedTransaction {
  try {
    const is = new tars.TarsInputStream(new tars.BinBuffer(Buffer.from(bytes)));
    return {
      data: is.readStruct(1, true, DataReader as unknown as new () => TransactionData),
      dataHash: bytesOf(is, 2),
      signature: bytesOf(is, 3),
      importTime: BigInt(is.readInt64(4, false, '0', true)),
      attribute: is.readInt32(5, false, 0),
      sender: bytesOf(is, 7),
      extraData: is.readString(8, false, ''),
    };
  } catch (error) {
    throw new TransactionFormatError(`not a FISCO BCOS 3.x tars transaction: ${(error as Error).message}`, { cause: error });
  }
}
