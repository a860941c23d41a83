import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, randomBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { aesGcmOpen, aesGcmSeal, NONCE_LENGTH } from '../crypto/aead.js';
import { CryptoError } from '../crypto/errors.js';
import { addressOf, recoverPublicKey } from '../crypto/identity.js';
import { canonicalJson, type Authorized } from '../operators/authorization.js';

/**
 * One-time enrolment codes (docs/formats.md § Enrolment codes). A hospital operator's CLI makes a
 * code and signs an *offer* — this patient identifier, the code's id, an expiry — and the engine
 * keeps the offer sealed under a key only the code derives, filed under the code's id: the engine
 * stores neither the code nor, until someone presents the code, the identifier. The patient's
 * wallet presents the code with a signature of its account over the code's id; the engine then
 * enrols that account under the operator's signed offer, once.
 *
 *   code      = 20 Crockford base32 characters (100 random bits), shown as XXXXX-XXXXX-XXXXX-XXXXX
 *   id        = hex(HKDF-SHA256(ikm = code, info = "yilian/enrolment-code/v1/id", 16 bytes))
 *   key       = HKDF-SHA256(ikm = code, info = "yilian/enrolment-code/v1/key", 32 bytes)
 *   sealed    = nonce(12) ‖ AES-256-GCM(key, nonce, canonical offer JSON, AD = id)
 *   redemption message = "yilian/enrolment-redemption/v1\n" ‖ audience ‖ "\n" ‖ id ‖ "\n" ‖ account ‖ "\n" ‖ issuedAt
 */
export const ENROLMENT_CODE_LABEL = 'yilian/enrolment-code/v1';
export const ENROLMENT_REDEMPTION_LABEL = 'yilian/enrolment-redemption/v1';
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 20;
const GROUP = 5;
/** An offer lasts a week unless the operator says otherwise, and never more than 30 days. */
export const DEFAULT_OFFER_DAYS = 7;
export const MAX_OFFER_DAYS = 30;

/** What a hospital operator signs (action `enrolmentOffer`): whoever redeems this code is this patient. */
export interface EnrolmentOffer {
  patient: { authority: string; identifier: string };
  /** The code's id: the offer is for this one code. */
  codeId: string;
  /** Unix ms after which the code is refused. */
  expiresAt: number;
}

/** The patient's side: this account redeems the code with this id, signed by the account's key. */
export interface EnrolmentRedemption {
  codeId: string;
  account: `0x${string}`;
  audience: string;
  issuedAt: number;
  signature: `0x${string}`;
}

/** A fresh code, grouped for reading aloud or typing: 100 bits from the platform's CSPRNG. */
export function generateEnrolmentCode(): string {
  // 32 symbols: each byte's low 5 bits are uniform
  const symbols = Array.from(randomBytes(CODE_LENGTH), (byte) => ALPHABET[byte & 31] as string).join('');
  return symbols.match(new RegExp(`.{${GROUP}}`, 'g'))?.join('-') ?? symbols;
}

/**
 * The code as typed (any case, spaces or dashes, O for 0 and I or L for 1) in its one canonical
 * form; throws naming the problem, never echoing the code.
 */
export function normalizeEnrolmentCode(typed: string): string {
  const code = typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (code.length !== CODE_LENGTH)
    throw new CryptoError('BAD_FORMAT', `an enrolment code has ${CODE_LENGTH} letters and digits`);
  if (!/^[0-9A-HJKMNP-TV-Z]+$/.test(code))
    throw new CryptoError('BAD_FORMAT', 'an enrolment code holds only digits and the letters A–Z without I, L, O, U');
  return code;
}

const derive = (code: string, what: 'id' | 'key', length: number) =>
  hkdf(
    sha256,
    utf8ToBytes(normalizeEnrolmentCode(code)),
    undefined,
    utf8ToBytes(`${ENROLMENT_CODE_LABEL}/${what}`),
    length,
  );

/** The id the engine files an offer under; it reveals nothing of the code. */
export const enrolmentCodeId = (code: string): string => bytesToHex(derive(code, 'id', 16));

/** The operator's signed offer, sealed so that only the code opens it. */
export function sealEnrolmentOffer(code: string, offer: Authorized<EnrolmentOffer>): Uint8Array {
  const nonce = randomBytes(NONCE_LENGTH);
  const id = utf8ToBytes(enrolmentCodeId(code));
  return concatBytes(nonce, aesGcmSeal(derive(code, 'key', 32), nonce, utf8ToBytes(canonicalJson(offer)), id));
}

/** The signed offer inside `sealed`; AUTH_FAILED if this code does not open it. */
export function openEnrolmentOffer(code: string, sealed: Uint8Array): unknown {
  const plaintext = aesGcmOpen(
    derive(code, 'key', 32),
    sealed.subarray(0, NONCE_LENGTH),
    sealed.subarray(NONCE_LENGTH),
    utf8ToBytes(enrolmentCodeId(code)),
    'enrolment offer',
  );
  return JSON.parse(new TextDecoder().decode(plaintext)) as unknown;
}

export function redemptionMessage(redemption: Omit<EnrolmentRedemption, 'signature'>): Uint8Array {
  const { audience, codeId, account, issuedAt } = redemption;
  return utf8ToBytes(
    [ENROLMENT_REDEMPTION_LABEL, audience, codeId, account.toLowerCase(), String(issuedAt)].join('\n'),
  );
}

/** The wallet's side: `account` asks to be enrolled under the code with `codeId`, signed by its key. */
export function signRedemption(
  redemption: Omit<EnrolmentRedemption, 'signature'>,
  sign: (message: Uint8Array) => Uint8Array,
): EnrolmentRedemption {
  return { ...redemption, signature: `0x${bytesToHex(sign(redemptionMessage(redemption)))}` };
}

/** Throws BAD_SIGNATURE unless `account`'s key signed this redemption. */
export function verifyRedemption(redemption: EnrolmentRedemption): void {
  let signer: string;
  try {
    signer = bytesToHex(
      addressOf(recoverPublicKey(hexToBytes(redemption.signature.slice(2)), redemptionMessage(redemption))),
    );
  } catch (cause) {
    throw new CryptoError('BAD_SIGNATURE', 'the enrolment redemption signature does not verify', { cause });
  }
  if (`0x${signer}` !== redemption.account.toLowerCase())
    throw new CryptoError('BAD_SIGNATURE', `the enrolment redemption is not signed by ${redemption.account}`);
}
