import {
  decodeFunctionResult,
  encodeDeployData,
  encodeFunctionData,
  type Abi,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type ContractFunctionReturnType,
  type Hex,
} from 'viem';
import { hexToBytes } from '@noble/hashes/utils.js';
import { TransactionStatus, statusName } from './status.js';
import { LedgerError } from './errors.js';
import type { FiscoClient } from './fisco-client.js';
import type { Receipt } from './receipt.js';
import { revertReason } from './revert-reason.js';

type ReadName<A extends Abi> = ContractFunctionName<A, 'view' | 'pure'>;
type WriteName<A extends Abi> = ContractFunctionName<A, 'nonpayable' | 'payable'>;

/**
 * viem's decoder with its generics erased: they do not narrow for this module's generic ABI and
 * function name, and the call sites' types come from `readContract`'s own signature.
 */
const decodeResult = decodeFunctionResult as (parameters: { abi: Abi; functionName: string; data: Hex }) => unknown;

/** A read-only call: nothing is signed or recorded, which is what keeps a grant off the chain. */
export async function readContract<A extends Abi, N extends ReadName<A>>(
  client: FiscoClient,
  request: { address: string; abi: A; functionName: N; args: ContractFunctionArgs<A, 'view' | 'pure', N> },
): Promise<ContractFunctionReturnType<A, 'view' | 'pure', N>> {
  const data = encodeFunctionData({
    abi: request.abi,
    functionName: request.functionName,
    args: request.args,
  } as never);
  const result = await client.call(request.address, data);
  if (result.status !== TransactionStatus.None) {
    const reason = revertReason(result.output as Hex, request.abi);
    const code =
      result.status === TransactionStatus.RevertInstruction
        ? 'REVERTED'
        : result.status === TransactionStatus.PrecompiledError
          ? 'PRECOMPILE'
          : 'EXECUTION';
    throw new LedgerError(
      code,
      `${request.functionName} failed (${statusName(result.status)})${reason ? `: ${reason}` : ''}`,
      { status: result.status },
    );
  }
  return decodeResult({
    abi: request.abi,
    functionName: request.functionName,
    data: result.output as Hex,
  }) as ContractFunctionReturnType<A, 'view' | 'pure', N>;
}

export function writeContract<A extends Abi, N extends WriteName<A>>(
  client: FiscoClient,
  secretKey: Uint8Array,
  request: { address: string; abi: A; functionName: N; args: ContractFunctionArgs<A, 'nonpayable' | 'payable', N> },
): Promise<Receipt> {
  const data = encodeFunctionData({
    abi: request.abi,
    functionName: request.functionName,
    args: request.args,
  } as never);
  return client.send(
    { to: request.address.replace(/^0x/, '').toLowerCase(), input: hexToBytes(data.slice(2)) },
    secretKey,
  );
}

/** What a committed write returned (the receipt's output), decoded by the function's ABI. */
export function writeResult<A extends Abi, N extends WriteName<A>>(
  request: { abi: A; functionName: N },
  receipt: Receipt,
): ContractFunctionReturnType<A, 'nonpayable' | 'payable', N> {
  return decodeResult({
    abi: request.abi,
    functionName: request.functionName,
    data: receipt.output as Hex,
  }) as ContractFunctionReturnType<A, 'nonpayable' | 'payable', N>;
}

/** Deploys and returns the new contract's address; `args` are the constructor's. */
export async function deployContract(
  client: FiscoClient,
  secretKey: Uint8Array,
  artifact: { abi: Abi; bytecode: Hex },
  args: readonly unknown[] = [],
): Promise<string> {
  const data = encodeDeployData({ abi: artifact.abi, bytecode: artifact.bytecode, args });
  const receipt = await client.send(
    { to: '', input: hexToBytes(data.slice(2)), abi: JSON.stringify(artifact.abi) },
    secretKey,
  );
  if (!receipt.contractAddress)
    throw new LedgerError('EXECUTION', `deployment ${receipt.transactionHash} created no contract`);
  return receipt.contractAddress;
}
