import { decodeErrorResult, type Abi, type Hex } from 'viem';

/** The reason a reverted call gives: `Error(string)` decoded, a custom error by name or selector. */
export function revertReason(output: Hex, abi?: Abi): string {
  if (output.length < 10) return '';
  try {
    const decoded = decodeErrorResult({ data: output, ...(abi ? { abi } : {}) });
    return decoded.args?.length ? String(decoded.args[0]) : decoded.errorName;
  } catch {
    return `custom error ${output.slice(0, 10)}`;
  }
}
