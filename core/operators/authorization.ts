import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { CryptoError } from '../crypto/errors.js';
import { addressOf, recoverPublicKey, SIGNATURE_LENGTH } from '../crypto/identity.js';

/**
 * An operator's authorization of one request (docs/formats.md § Operator authorizations): the
 * engine performs what uses the CA's authority or changes who a patient is only when a person it
 * lists as an operator signed that very request with their own key, which the engine never holds.
 * Being able to start a workflow is not enough.
 *
 *   message   = "yilian/operator-authorization/v1\n" ‖ action ‖ "\n" ‖ hex(sha256(canonical JSON of
 *               the request)) ‖ "\n" ‖ decimal issuedAt (unix ms)
 *   signature = sign(operator secret key, message)   (keccak256, RFC 6979, low-s, r‖s‖v)
 */
export const OPERATOR_AUTHORIZATION_LABEL = 'yilian/operator-authorization/v1';

/** What each action needs: the consortium CA's operators register and revoke, a hospital's enrol. */
export const OPERATOR_ACTIONS = {
  registerIdentity: 'ca',
  revokeIdentity: 'ca',
  enrolPatient: 'hospital',
  enrolmentOffer: 'hospital',
} as const;
export type OperatorAction = keyof typeof OPERATOR_ACTIONS;
export type OperatorRole = (typeof OPERATOR_ACTIONS)[OperatorAction];

export interface OperatorAuthorization {
  /** The operator's account: the signature must recover to it. */
  operator: `0x${string}`;
  /** Unix ms; for the audit trail, and refused when more than a few minutes in the future. */
  issuedAt: number;
  signature: `0x${string}`;
}

export type Authorized<R> = R & { authorization: OperatorAuthorization };

export interface OperatorSigner {
  readonly address: `0x${string}`;
  sign(message: Uint8Array): Uint8Array;
}

const MAX_CLOCK_AHEAD_MS = 5 * 60 * 1000;

/** JSON with object keys sorted at every level and no undefined members: one text per request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new CryptoError('BAD_FORMAT', 'request holds a non-finite number');
  return JSON.stringify(value);
}

export function operatorMessage(action: OperatorAction, request: object, issuedAt: number): Uint8Array {
  if (!Number.isSafeInteger(issuedAt) || issuedAt < 0)
    throw new CryptoError('BAD_FORMAT', 'issuedAt must be unix milliseconds');
  const digest = bytesToHex(sha256(utf8ToBytes(canonicalJson(request))));
  return utf8ToBytes(`${OPERATOR_AUTHORIZATION_LABEL}\n${action}\n${digest}\n${issuedAt}`);
}

/** `request` with the operator's authorization of `action` on it. */
export function authorize<R extends object>(
  signer: OperatorSigner,
  action: OperatorAction,
  request: R,
  issuedAt = Date.now(),
): Authorized<R> {
  const signature = signer.sign(operatorMessage(action, request, issuedAt));
  return { ...request, authorization: { operator: signer.address, issuedAt, signature: `0x${bytesToHex(signature)}` } };
}

/**
 * The account that authorized `action` on this request, after checking the signature covers
 * exactly the request (everything but the authorization itself). Whether that account may
 * authorize it is the engine's decision (its list of operators).
 */
export function authorizingOperator(
  action: OperatorAction,
  authorized: Authorized<object>,
  nowMs: number,
): `0x${string}` {
  const { authorization, ...request } = authorized;
  if (typeof authorization !== 'object' || !/^0x[0-9a-fA-F]{40}$/.test(authorization.operator)) {
    throw new CryptoError('BAD_FORMAT', `${action}: the request carries no operator authorization`);
  }
  if (!/^0x[0-9a-fA-F]{130}$/.test(authorization.signature)) {
    throw new CryptoError(
      'BAD_LENGTH',
      `${action}: the authorization signature must be ${SIGNATURE_LENGTH} bytes of hex`,
    );
  }
  if (authorization.issuedAt > nowMs + MAX_CLOCK_AHEAD_MS) {
    throw new CryptoError(
      'BAD_FORMAT',
      `${action}: the authorization is dated ${authorization.issuedAt}, in the future`,
    );
  }
  const message = operatorMessage(action, request, authorization.issuedAt);
  const signer =
    `0x${bytesToHex(addressOf(recoverPublicKey(hexToBytes(authorization.signature.slice(2)), message)))}` as const;
  if (signer !== authorization.operator.toLowerCase()) {
    throw new CryptoError(
      'BAD_SIGNATURE',
      `${action}: the authorization is not signed by ${authorization.operator} for this request`,
    );
  }
  return signer;
}
