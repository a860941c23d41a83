/**
 * FISCO BCOS 3.x transaction status codes (bcos-protocol TransactionStatus.h). They are decimal
 * and differ from 2.x: revert is 16 here, 0x16 there.
 */
export const TransactionStatus = {
  None: 0,
  Unknown: 1,
  BadInstruction: 10,
  OutOfGas: 12,
  PrecompiledError: 15,
  RevertInstruction: 16,
  PermissionDenied: 18,
  CallAddressError: 19,
  NonceCheckFail: 10000,
  BlockLimitCheckFail: 10001,
  TxPoolIsFull: 10002,
  Malformed: 10003,
  AlreadyInTxPool: 10004,
  TxAlreadyInChain: 10005,
  InvalidChainId: 10006,
  InvalidGroupId: 10007,
  InvalidSignature: 10008,
} as const;

export type TransactionStatusCode = (typeof TransactionStatus)[keyof typeof TransactionStatus];

const names = new Map<number, string>(Object.entries(TransactionStatus).map(([name, code]) => [code, name]));

export function statusName(code: number): string {
  return names.get(code) ?? `Unknown(${code})`;
}

/** Codes of the transaction pool: the transaction was refused before execution. */
export const isPoolRejection = (code: number): boolean => code >= 10000;
