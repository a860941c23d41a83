import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { signDigest } from '../crypto/identity.js';
import {
  dataHashOf,
  transactionDataDefaults,
  type SignedTransaction,
  type TransactionData,
} from './tars-transaction.js';

/** A fresh 256-bit nonce in decimal: nodes keep a global nonce cache, so it must never repeat. */
export function randomNonce(): string {
  return BigInt(`0x${bytesToHex(randomBytes(32))}`).toString(10);
}

/** Signs a 32-byte digest: `r ‖ s ‖ v`, RFC 6979, low-s. A Node engine may pass native's `signDigest`. */
export type DigestSigner = (digest: Uint8Array, secretKey: Uint8Array) => Uint8Array;

const signWithNoble: DigestSigner = (digest, secretKey) => signDigest(secretKey, digest);

export type UnsignedTransaction = Pick<TransactionData, 'chainId' | 'groupId' | 'blockLimit' | 'to' | 'input'> &
  Partial<TransactionData>;

/** Fills defaults and a random nonce, and signs the data hash with the sender's secp256k1 key. */
export function signTransaction(
  unsigned: UnsignedTransaction,
  secretKey: Uint8Array,
  signer: DigestSigner = signWithNoble,
): SignedTransaction {
  const data: TransactionData = { ...transactionDataDefaults, nonce: randomNonce(), ...unsigned };
  const dataHash = dataHashOf(data);
  return {
    data,
    dataHash,
    signature: signer(dataHash, secretKey),
    importTime: 0n,
    attribute: 0,
    sender: new Uint8Array(),
    extraData: '',
  };
}
