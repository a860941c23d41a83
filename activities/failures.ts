import { ApplicationFailure } from '@temporalio/common';
import { CryptoError } from '../core/crypto/index.js';
import { LedgerError } from '../core/ledger/errors.js';
import { TransactionStatus } from '../core/ledger/status.js';
import { StorageError } from '../core/storage/index.js';
import { EngineStateError } from './state/index.js';
import { DirectoryError } from '../core/ledger/directory.js';

/** Ledger failures that another attempt can fix: the node was away or slow. */
const transientLedger = new Set<LedgerError['code']>(['UNAVAILABLE', 'TIMEOUT']);
/**
 * Pool refusals another attempt can pass: a full pool drains (a node shutting down refuses its
 * pool so too), and a new attempt signs a new transaction, with a new nonce and block limit.
 * Retrying a write is safe: each one is idempotent (I9).
 */
const transientRejections = new Set<number>([
  TransactionStatus.TxPoolIsFull,
  TransactionStatus.NonceCheckFail,
  TransactionStatus.BlockLimitCheckFail,
]);
const isTransient = (error: LedgerError) =>
  transientLedger.has(error.code) ||
  (error.code === 'REJECTED' && error.details.status !== undefined && transientRejections.has(error.details.status));
const transientStorage = new Set<StorageError['code']>(['UNAVAILABLE', 'NOT_FOUND']);
/** Waiting helps: the patient's wallet publishes more prekeys. */
const transientState = new Set<EngineStateError['code']>(['PREKEYS_EXHAUSTED']);

/**
 * Turns a domain error into the Temporal failure that tells the retry policy what to do: retry
 * what time can fix (a node away, prekeys not yet published), fail at once what it cannot (bad
 * input, a revert, a signature that does not verify). The failure type names the domain and code.
 */
export function asActivityFailure(error: unknown): unknown {
  if (error instanceof ApplicationFailure) return error;
  const classify = (type: string, retryable: boolean) =>
    ApplicationFailure.create({
      type,
      message: (error as Error).message,
      nonRetryable: !retryable,
      cause: error as Error,
    });
  if (error instanceof LedgerError) return classify(`LedgerError.${error.code}`, isTransient(error));
  if (error instanceof StorageError) return classify(`StorageError.${error.code}`, transientStorage.has(error.code));
  if (error instanceof EngineStateError)
    return classify(`EngineStateError.${error.code}`, transientState.has(error.code));
  if (error instanceof DirectoryError) return classify(`DirectoryError.${error.code}`, false);
  if (error instanceof CryptoError) return classify(`CryptoError.${error.code}`, false);
  return error;
}

/** Bad input: the caller must change something; no retry helps. */
export function badInput(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}
