export type LedgerErrorCode =
  /** The node could not be reached or answered garbage; worth retrying. */
  | 'UNAVAILABLE'
  /** A JSON-RPC error other than the ones below. */
  | 'RPC'
  /** The node serves another chain or group than configured. */
  | 'WRONG_CHAIN'
  /** The transaction pool refused the transaction (FISCO status ≥ 10000). */
  | 'REJECTED'
  /** The contract reverted (status 16); the message carries the decoded reason. */
  | 'REVERTED'
  /** A precompiled contract failed (status 15). */
  | 'PRECOMPILE'
  /** Any other execution failure (out of gas, bad instruction, ...). */
  | 'EXECUTION'
  /** No receipt before the deadline. */
  | 'TIMEOUT';

export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    readonly details: { status?: number; transactionHash?: string; rpcCode?: number; rpcMessage?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LedgerError';
  }
}
