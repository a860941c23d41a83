export type StorageErrorCode = 'BAD_CID' | 'NOT_FOUND' | 'INTEGRITY' | 'UNSUPPORTED' | 'UNAVAILABLE';

/** A content-store failure; `code` says what kind, the message names the CID and the store. */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}
