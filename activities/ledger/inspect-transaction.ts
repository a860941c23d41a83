import { bytesToHex } from '@noble/hashes/utils.js';
import { equalBytes } from '../crypto/bytes.js';
import { addressOf, recoverPublicKey } from '../crypto/identity.js';
import { dataHashOf, dataHashPreimage, decodeTransaction, TransactionFormatError, type SignedTransaction } from './tars-transaction.js';

export interface TransactionReport {
  valid: boolean;
  /** Why it is not valid; empty when valid. */
  problems: string[];
  fields: Record<string, string | number>;
  dataHash: string;
  computedDataHash: string | null;
  sender: string | null;
}

const hex = (bytes: Uint8Array) => `0x${bytesToHex(bytes)}`;

/**
 * Decodes a signed 3.x transaction and checks it the way a node does: the data hash must be the
 * hash of the fields, and the signature must recover to a sender over that hash.
 */
export function inspectTransaction(text: string): TransactionReport {
  const cleaned = text.trim().replace(/^0x/i, '');
  if (!/^([0-9a-f]{2})+$/i.test(cleaned)) {
    throw new TransactionFormatError('expected the transaction as hex (an even number of 0-9a-f characters, optional 0x)');
  }
  const tx: SignedTransaction = decodeTransaction(Uint8Array.from(Buffer.from(cleaned, 'hex')));
  const problems: string[] = [];
  let computed: Uint8Array | null = null;
  try {
    computed = dataHashOf(tx.data);
    if (!equalBytes(computed, tx.dataHash)) problems.push(`dataHash ${hex(tx.dataHash)} does not match the fields, which hash to ${hex(computed)}`);
  } catch (error) {
    problems.push((error as Error).message);
  }
  let sender: string | null = null;
  if (problems.length === 0) {
    try {
      sender = hex(addressOf(recoverPublicKey(tx.signature, dataHashPreimage(tx.data))));
      if (tx.sender.length > 0 && hex(tx.sender) !== sender) {
        problems.push(`the sender field ${hex(tx.sender)} is not the signer ${sender}`);
      }
    } catch (error) {
      problems.push(`signature does not verify: ${(error as Error).message}`);
    }
  }
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
      input: hex(data.input),
      abi: data.abi,
      ...(data.version >= 1
        ? { value: data.value, gasPrice: data.gasPrice, gasLimit: data.gasLimit.toString(), maxFeePerGas: data.maxFeePerGas, maxPriorityFeePerGas: data.maxPriorityFeePerGas }
        : {}),
      signature: hex(tx.signature),
      importTime: tx.importTime.toString(),
      attribute: tx.attribute,
      extraData: tx.extraData,
    },
    dataHash: hex(tx.dataHash),
    computedDataHash: computed ? hex(computed) : null,
    sender,
  };
}
