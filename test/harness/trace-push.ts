import { keccak_256 } from '@noble/hashes/sha3.js';
import { hexToBytes, toHex, type Hex } from 'viem';
import { DrugTrace } from '../../contracts/artifacts.js';
import { writeContract } from '../../core/ledger/contract-calls.js';
import type { FiscoClient } from '../../core/ledger/fisco-client.js';
import type { Receipt } from '../../core/ledger/receipt.js';
import { prove, traceId } from '../../native/index.js';

/**
 * `DrugTrace.push` of the step bytes `c` by the holder of `senderKey`, straight to the chain with a
 * valid proof that the sender holds `code` (nonce: the newest block's hash), bypassing the engine:
 * how a test plants a step, junk or genuine, that only the code's holder could add.
 */
export async function pushProvenStep(
  chain: FiscoClient,
  drugTrace: string,
  senderKey: Uint8Array,
  code: string,
  c: Uint8Array,
): Promise<Receipt> {
  const nonce = (await chain.getBlockHash(await chain.getBlockNumber())) as Hex;
  return writeContract(chain, senderKey, {
    address: drugTrace,
    abi: DrugTrace.abi,
    functionName: 'push',
    args: [toHex(traceId(code)), toHex(c), nonce, toHex(await prove(code, keccak_256(c), hexToBytes(nonce)))],
  });
}
