import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { CryptoError } from '../crypto/errors.js';
import { addressOf, recoverPublicKey } from '../crypto/identity.js';
import { decodePrekeyBundle, verifyPrekeyBundle } from '../keys/prekeys.js';
import { canonicalJson } from '../operators/authorization.js';
import { Role } from '../roles.js';

/**
 * A wallet's request to be registered by the CA (docs/formats.md § Registration requests): what a
 * browser sends instead of holding an operator key. It is signed by the very key it asks to
 * register (proof of possession), names the engine it is for and when it was made, so it cannot be
 * sent to another engine or kept and sent much later; a CA operator approves it with their own
 * authorization of `registerIdentity`.
 *
 *   message   = "yilian/registration-request/v1\n" ‖ audience ‖ "\n" ‖
 *               hex(sha256(canonical JSON of {name, role, identity, prekeyBundle?, organisation?})) ‖ "\n" ‖ issuedAt
 *   signature = sign(wallet identity secret key, message)
 *   id        = hex(sha256(message))[0..32]
 */
export const REGISTRATION_REQUEST_LABEL = 'yilian/registration-request/v1';
/** How old (or how far ahead of the engine's clock) a request may be when it arrives. */
export const REGISTRATION_REQUEST_WINDOW_MS = 10 * 60 * 1000;
/** A name in the Directory: enough for a person's full name in any script. */
export const MAX_NAME_LENGTH = 100;
/** A registration publishes at most this many prekeys; a wallet publishes more later. */
export const MAX_REGISTRATION_PREKEYS = 100;

/** Roles a person may ask for from a browser wallet; organisations are made by operators. */
export const REQUESTABLE_ROLES = { patient: Role.Patient, doctor: Role.Doctor, pharmacy: Role.Pharmacy } as const;
const requestableRoles: ReadonlySet<number> = new Set(Object.values(REQUESTABLE_ROLES));

const hexMatching = (pattern: RegExp, message: string) =>
  z.custom<`0x${string}`>((value) => typeof value === 'string' && pattern.test(value), message);
const hex = (bytes: number) =>
  hexMatching(new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`), `must be 0x and ${bytes * 2} lowercase hex digits`);
/** Hex digits of a bundle of the most prekeys one request carries: version, owner, count, then 117 bytes each. */
export const MAX_BUNDLE_HEX = 2 * (1 + 20 + 4 + MAX_REGISTRATION_PREKEYS * 117);

export const registrationRequestSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(MAX_NAME_LENGTH)
      .refine((name) => name === name.trim(), 'must not begin or end with spaces')
      .refine((name) => !/\p{Cc}/u.test(name), 'must hold no control characters'),
    role: z.custom<Role>(
      (role) => typeof role === 'number' && requestableRoles.has(role),
      'must be patient (4), doctor (3) or pharmacy (5)',
    ),
    identity: z.object({ address: hex(20), publicKey: hex(64) }).strict(),
    prekeyBundle: hexMatching(
      new RegExp(`^0x([0-9a-f]{2}){1,${MAX_BUNDLE_HEX / 2}}$`),
      `must be 0x and hex, at most ${MAX_REGISTRATION_PREKEYS} prekeys`,
    ).optional(),
    /** A doctor's hospital account: the CA registers the doctor as that hospital's. */
    organisation: hex(20).optional(),
    audience: z.string().max(200),
    issuedAt: z.number().int().nonnegative(),
    signature: hex(65),
  })
  .strict();

export type SignedRegistrationRequest = z.infer<typeof registrationRequestSchema>;
export type RegistrationContent = Pick<
  SignedRegistrationRequest,
  'name' | 'role' | 'identity' | 'prekeyBundle' | 'organisation'
>;

export function registrationRequestMessage(
  content: RegistrationContent,
  audience: string,
  issuedAt: number,
): Uint8Array {
  const { name, role, identity, prekeyBundle, organisation } = content;
  const digest = bytesToHex(sha256(utf8ToBytes(canonicalJson({ name, role, identity, prekeyBundle, organisation }))));
  return utf8ToBytes(`${REGISTRATION_REQUEST_LABEL}\n${audience}\n${digest}\n${issuedAt}`);
}

/** The id both sides name a request by: the same request sent twice is one request. */
export function registrationRequestId(request: SignedRegistrationRequest): string {
  return bytesToHex(sha256(registrationRequestMessage(request, request.audience, request.issuedAt))).slice(0, 32);
}

/** The wallet's side: `content` signed by its own identity key for the engine at `audience`. */
export function signRegistrationRequest(
  content: RegistrationContent,
  audience: string,
  sign: (message: Uint8Array) => Uint8Array,
  issuedAt = Date.now(),
): SignedRegistrationRequest {
  const signature = sign(registrationRequestMessage(content, audience, issuedAt));
  return { ...content, audience, issuedAt, signature: `0x${bytesToHex(signature)}` };
}

/**
 * The engine's side: parses `body` and checks it is meant for this engine, recent, signed by the
 * key it registers, and that a patient's prekeys are that key's. Throws a CryptoError naming the
 * first problem. Needs `await initPre()` for a prekey bundle.
 */
export function checkRegistrationRequest(
  body: unknown,
  audience: string,
  nowMs: number,
): { request: SignedRegistrationRequest; id: string } {
  const parsed = registrationRequestSchema.safeParse(body);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new CryptoError(
      'BAD_FORMAT',
      `registration request: ${issue?.path.join('.') || '(body)'} ${issue?.message ?? 'is malformed'}`,
    );
  }
  const request = parsed.data;
  if (request.audience !== audience)
    throw new CryptoError(
      'BAD_FORMAT',
      `registration request is for ${request.audience}, not this engine (${audience})`,
    );
  if (Math.abs(nowMs - request.issuedAt) > REGISTRATION_REQUEST_WINDOW_MS)
    throw new CryptoError(
      'BAD_FORMAT',
      `registration request was made more than ${REGISTRATION_REQUEST_WINDOW_MS / 60_000} minutes from the engine's clock: sign a new one`,
    );
  verifyRegistrationRequest(request);
  return { request, id: registrationRequestId(request) };
}

/**
 * Checks that `request` is signed by the key it registers and that a patient's prekeys are that
 * key's; a CA operator re-checks a kept request with it before authorizing it. Needs initPre for
 * a prekey bundle.
 */
export function verifyRegistrationRequest(request: SignedRegistrationRequest): void {
  const message = registrationRequestMessage(request, request.audience, request.issuedAt);
  let signer: Uint8Array;
  try {
    signer = recoverPublicKey(hexToBytes(request.signature.slice(2)), message);
  } catch (cause) {
    throw new CryptoError('BAD_SIGNATURE', 'registration request signature does not verify', { cause });
  }
  const address = addressOf(signer);
  if (
    `0x${bytesToHex(address)}` !== request.identity.address ||
    `0x${bytesToHex(signer)}` !== request.identity.publicKey
  )
    throw new CryptoError(
      'BAD_SIGNATURE',
      `registration request is not signed by the key it registers (${request.identity.address})`,
    );
  if (request.organisation !== undefined && request.role !== Role.Doctor)
    throw new CryptoError('BAD_FORMAT', 'registration request: only a doctor names an organisation (its hospital)');
  if (request.prekeyBundle !== undefined) {
    if (request.role !== Role.Patient)
      throw new CryptoError('BAD_FORMAT', 'registration request: only a patient publishes prekeys');
    const bundle = decodePrekeyBundle(hexToBytes(request.prekeyBundle.slice(2)));
    if (bundle.prekeys.length > MAX_REGISTRATION_PREKEYS)
      throw new CryptoError('BAD_FORMAT', `registration request: more than ${MAX_REGISTRATION_PREKEYS} prekeys`);
    verifyPrekeyBundle(bundle, address);
  }
}
