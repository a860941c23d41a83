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

/**
 * Gas, the same as the C++ precompiles' (precompiled/src/yilian_precompiled.hpp), charged before
 * the work: a pairing at EIP-1108's price for one pair; a STARK verification by its items and the
 * bytes it parses and hashes, each input byte priced like calldata.
 */
const GAS = {
  reencrypt: 45_000n + 34_000n,
  verify: 500_000n,
  verifyPerItem: 2_000n,
  verifyPerInputByte: 16n,
} as const;

const success = (gas: bigint, returnValue: Hex): ExecResult => ({
  executionGasUsed: gas,
  returnValue: hexToBytes(returnValue),
});

const errorAbi = parseAbi(['error Error(string)']);

/**
 * Too little gas for the work: refused before it starts, all the gas given used up, as the EVM's
 * own precompiles do. Without this a contract could buy a STARK verification for a few gas.
 */
const outOfGas = (gasLimit: bigint): ExecResult => ({
  executionGasUsed: gasLimit,
  returnValue: new Uint8Array(),
  exceptionError: new EVMError(EVMError.errorMessages.OUT_OF_GAS),
});

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
  if (input.gasLimit < GAS.reencrypt) return outOfGas(input.gasLimit);
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
  const items = call.functionName === 'verifyTrace' ? 1n : BigInt(call.args[0].length);
  const gas = GAS.verify + GAS.verifyPerItem * items + GAS.verifyPerInputByte * BigInt(input.data.length);
  if (input.gasLimit < gas) return outOfGas(input.gasLimit);
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
  return success(gas, encodeFunctionResult({ abi: starkAbi, functionName: call.functionName, result: accepted }));
}

/** The dev chain's precompiles: the same ABI and addresses as the C++ ones, backed by native/. */
export function embeddedPrecompiles(): CustomPrecompile[] {
  return [
    { address: createAddressFromString(REENCRYPT_PRECOMPILE), function: reencrypt },
    { address: createAddressFromString(STARK_PRECOMPILE), function: verifyStark },
  ];
}
