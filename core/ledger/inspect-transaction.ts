import { hexToBytes } from '@noble/hashes/utils.js';
import { toHex } from 'viem';
import { equalBytes } from '../crypto/bytes.js';
import { addressOf, recoverPublicKeyFromDigest } from '../crypto/identity.js';
import { dataHashOf, decodeTransaction, TransactionFormatError, type SignedTransaction } from './tars-transaction.js';

export interface TransactionReport {
  valid: boolean;
  /** Why it is not valid; empty when valid. */
  problems: string[];
  fields: Record<string, string | number>;
  dataHash: string;
  computedDataHash: string | null;
  sender: string | null;
}

/** Recovers the signer's 0x address from a 65-byte r‖s‖v signature over a 32-byte digest. */
export type RecoverSigner = (digest: Uint8Array, signature: Uint8Array) => string;

const recoverWithNoble: RecoverSigner = (digest, signature) =>
  toHex(addressOf(recoverPublicKeyFromDigest(signature, digest)));

export interface TransactionVerdict {
  problems: string[];
  computedDataHash: Uint8Array | null;
  /** 0x-prefixed lowercase address recovered from the signature, when it verifies. */
  sender: string | null;
}

/**
 * Checks a decoded transaction as a node does: dataHash over the fields, then the signature.
 * A node with a faster secp256k1 (the dev chain's native one) passes its own `recover`.
 */
export function verifyTransaction(
  tx: SignedTransaction,
  recover: RecoverSigner = recoverWithNoble,
): TransactionVerdict {
  const problems: string[] = [];
  let computed: Uint8Array | null = null;
  try {
    computed = dataHashOf(tx.data);
    if (!equalBytes(computed, tx.dataHash))
      problems.push(`dataHash ${toHex(tx.dataHash)} does not match the fields, which hash to ${toHex(computed)}`);
  } catch (error) {
    problems.push((error as Error).message);
  }
  let sender: string | null = null;
  if (problems.length === 0) {
    try {
      sender = recover(tx.dataHash, tx.signature);
      if (tx.sender.length > 0 && toHex(tx.sender) !== sender) {
        problems.push(`the sender field ${toHex(tx.sender)} is not the signer ${sender}`);
      }
    } catch (error) {
      problems.push(`signature does not verify: ${(error as Error).message}`);
    }
  }
  return { problems, computedDataHash: computed, sender };
}

/**
 * Decodes a signed 3.x transaction and checks it the way a node does: the data hash must be the
 * hash of the fields, and the signature must recover to a sender over that hash.
 */
export function inspectTransaction(text: string): TransactionReport {
  const cleaned = text.trim().replace(/^0x/i, '');
  // no group in the pattern: a repeated group recurses per repetition and overflows the stack on megabytes
  if (cleaned.length === 0 || cleaned.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(cleaned)) {
    throw new TransactionFormatError(
      'expected the transaction as hex (an even number of 0-9a-f characters, optional 0x)',
    );
  }
  const tx: SignedTransaction = decodeTransaction(hexToBytes(cleaned));
  const { problems, computedDataHash: computed, sender } = verifyTransaction(tx);
  const { data } = tx;
  return {
    valid: problems.length === 0,
    problems,
    fields: {
      version: data.version,
      chainId: data.chainId,
      groupId: data.groupId,
      blockLimit: data.blockLimit.toString(),
      nonce: data.nonce,
      to: data.to ? `0x${data.to}` : '',
      input: toHex(data.input),
      abi: data.abi,
      ...(data.version >= 1
        ? {
            value: data.value,
            gasPrice: data.gasPrice,
            gasLimit: data.gasLimit.toString(),
            maxFeePerGas: data.maxFeePerGas,
            maxPriorityFeePerGas: data.maxPriorityFeePerGas,
          }
        : {}),
      signature: toHex(tx.signature),
      importTime: tx.importTime.toString(),
      attribute: tx.attribute,
      extraData: tx.extraData,
    },
    dataHash: toHex(tx.dataHash),
    computedDataHash: computed ? toHex(computed) : null,
    sender,
  };
}
