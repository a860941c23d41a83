/**
 * Every failure of the crypto core is a `CryptoError` with a stable `code`, so callers (Temporal
 * activities, the CLI) can decide on retries and user messages without parsing text.
 * Messages name what is wrong and never include secret bytes.
 */
export type CryptoErrorCode =
  | 'NOT_INITIALIZED'
  | 'BAD_LENGTH'
  | 'BAD_FORMAT'
  | 'BAD_POINT'
  | 'IDENTITY_POINT'
  | 'BAD_SCALAR'
  | 'ZERO_SCALAR'
  | 'BAD_SIGNATURE'
  | 'AUTH_FAILED'
  | 'WRONG_PASSWORD'
  | 'KEYSTORE_CORRUPT'
  | 'PREKEYS_EXHAUSTED'
  | 'PREKEY_UNKNOWN';

export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function expectLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array)) throw new CryptoError('BAD_FORMAT', `${what} must be a Uint8Array`);
  if (bytes.length !== length) {
    throw new CryptoError('BAD_LENGTH', `${what} must be ${length} bytes, got ${bytes.length}`);
  }
}
