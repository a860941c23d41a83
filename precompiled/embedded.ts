import { createAddressFromString } from '@ethereumjs/util';
import { EVMError, type CustomPrecompile, type ExecResult, type PrecompileInput } from '@ethereumjs/evm';
import {
  decodeFunctionData,
  encodeErrorResult,
  encodeFunctionResult,
  hexToBytes,
  parseAbi,
  toHex,
  type Hex,
} from 'viem';
import { REENCRYPT_PRECOMPILE, reencryptAbi, STARK_PRECOMPILE, starkAbi } from './abi.js';
import * as native from '../native/index.js';

/** Gas, in the spirit of FISCO's PrecompiledGas: a pairing costs like EIP-197's, a STARK like ten. */
const GAS = { reencrypt: 45_000n + 34_000n, verify: 500_000n, verifyPerItem: 2_000n };

const success = (gas: bigint, returnValue: Hex): ExecResult => ({
  executionGasUsed: gas,
  returnValue: hexToBytes(returnValue),
});

const errorAbi = parseAbi(['error Error(string)']);

/**
 * A precompile failure: a revert carrying `Error(reason)`, so a direct call's receipt (FISCO
 * status 15) and a contract that bubbles the failure up both name what was wrong.
 */
const failure = (gasLimit: bigint, reason: string): ExecResult => ({
  executionGasUsed: gasLimit,
  returnValue: hexToBytes(encodeErrorResult({ abi: errorAbi, errorName: 'Error', args: [reason] })),
  exceptionError: new EVMError(EVMError.errorMessages.REVERT),
});

async function reencrypt(input: PrecompileInput): Promise<ExecResult> {
  try {
    const { args } = decodeFunctionData({ abi: reencryptAbi, data: toHex(input.data) });
    const reencrypted = await native.reencrypt(hexToBytes(args[0]), hexToBytes(args[1]));
    return success(
      GAS.reencrypt,
      encodeFunctionResult({ abi: reencryptAbi, functionName: 'reencrypt', result: toHex(reencrypted) }),
    );
  } catch (error) {
    return failure(input.gasLimit, (error as Error).message);
  }
}

/** Verification answers false for any proof that does not verify; only undecodable input fails. */
async function verifyStark(input: PrecompileInput): Promise<ExecResult> {
  let call;
  try {
    call = decodeFunctionData({ abi: starkAbi, data: toHex(input.data) });
  } catch (error) {
    return failure(input.gasLimit, (error as Error).message);
  }
  const accepted = await (
    call.functionName === 'verifyTrace'
      ? native.verify(
          hexToBytes(call.args[0]),
          hexToBytes(call.args[1]),
          hexToBytes(call.args[2]),
          hexToBytes(call.args[3]),
        )
      : native.verifyBatch(
          call.args[0].map((id) => hexToBytes(id)),
          call.args[1].map((hash) => hexToBytes(hash)),
          hexToBytes(call.args[2]),
          hexToBytes(call.args[3]),
        )
  ).then(
    () => true,
    () => false,
  );
  const items = call.functionName === 'verifyTrace' ? 1n : BigInt(call.args[0].length);
  return success(
    GAS.verify + GAS.verifyPerItem * items,
    encodeFunctionResult({ abi: starkAbi, functionName: call.functionName, result: accepted }),
  );
}

/** The dev chain's precompiles: the same ABI and addresses as the C++ ones, backed by native/. */
export function embeddedPrecompiles(): CustomPrecompile[] {
  return [
    { address: createAddressFromString(REENCRYPT_PRECOMPILE), function: reencrypt },
    { address: createAddressFromString(STARK_PRECOMPILE), function: verifyStark },
  ];
}
