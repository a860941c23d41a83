import { randomBytes } from '@noble/hashes/utils.js';
import { sign } from '../crypto/identity.js';
import { dataHashOf, dataHashPreimage, transactionDataDefaults, type SignedTransaction, type TransactionData } from './tars-transaction.js';

/** A fresh 256-bit nonce in decimal: nodes keep a global nonce cache, so it must never repeat. */
export function randomNonce(): string {
  return BigInt(`0x${Buffer.from(randomBytes(32)).toString('hex')}`).toString(10);
}

export type UnsignedTransaction = Pick<TransactionData, 'chainId' | 'groupId' | 'blockLimit' | 'to' | 'input'> & Partial<TransactionData>;

/** Fills defaults and a random nonce, and signs the data hash with the sender's secp256k1 key. */
export function signTransaction(unsigned: UnsignedTransaction, secretKey: Uint8Array): SignedTransaction {
  const data: TransactionData = { ...transactionDataDefaults, nonce: randomNonce(), ...unsigned };
  return {
    data,
    dataHash: dataHashOf(data),
    // identity.sign hashes with keccak256, so signing the preimage signs exactly the data hash
    signature: sign(secretKey, dataHashPreimage(data)),
    importTime: 0n,
    attribute: 0,
    sender: new Uint8Array(),
    extraData: '',
  };
}
