import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EngineState, LocalIdentity, OrgCredential } from '../../activities/state/index.js';
import { Role, roleName, TRACE_ROLES } from '../../core/roles.js';

/**
 * An organisation's API token: `yk_<id>.<secret>`. The id (96 random bits, hex, so that it never
 * starts with '-' and reads as an option on the command line) names the stored credential and is
 * no secret: `yilian org list` prints it. The secret is 256 random bits in base64url, of which the
 * engine keeps only the sha256.
 */
const TOKEN = /^yk_([0-9a-f]{24})\.([A-Za-z0-9_-]{43})$/;

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
/** Compared against when the id is unknown, so an unknown id costs what a wrong secret does. */
const NO_SECRET = sha256Hex('');

export interface IssuedCredential {
  credential: OrgCredential;
  /** Shown once: only its hash is kept. */
  token: string;
}

/** Who gets a credential: organisations that report trace events, and regulators, who read the audit report. */
const CREDENTIAL_ROLES: ReadonlySet<number> = new Set([...TRACE_ROLES, Role.Regulator]);

/** A credential for a local identity of a trace role or a regulator: its system will act as that identity and no other. */
export async function issueOrgCredential(state: EngineState, identity: LocalIdentity): Promise<IssuedCredential> {
  if (!CREDENTIAL_ROLES.has(identity.role))
    throw new Error(
      `${identity.name} is a ${roleName(identity.role)}; ERP credentials are for manufacturers, carriers and pharmacies, audit credentials for regulators`,
    );
  const id = randomBytes(12).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const credential = await state.addOrgCredential({
    id,
    identityName: identity.name,
    identityAddress: identity.address.toLowerCase(),
    secretSha256: sha256Hex(secret),
  });
  return { credential, token: `yk_${id}.${secret}` };
}

export type Authentication =
  { ok: true; credential: OrgCredential; identity: LocalIdentity } | { ok: false; problem: string };

/** Checks an `Authorization` header; the problem is safe to show the client (it never quotes the header). */
export async function authenticate(state: EngineState, header: string | undefined): Promise<Authentication> {
  if (!header) return { ok: false, problem: 'an Authorization: Bearer <token> header is required' };
  const match = /^Bearer (\S+)$/.exec(header);
  const token = match?.[1] && TOKEN.exec(match[1]);
  if (!token) return { ok: false, problem: 'the Authorization header must be Bearer yk_<id>.<secret>' };
  const [, id = '', secret = ''] = token;
  const credential = await state.orgCredential(id);
  const expected = Buffer.from(credential?.secretSha256 ?? NO_SECRET, 'hex');
  const matches = timingSafeEqual(expected, Buffer.from(sha256Hex(secret), 'hex'));
  if (!credential || !matches) return { ok: false, problem: 'the credential is not valid' };
  if (credential.revokedAt !== null)
    return {
      ok: false,
      problem: `this credential was revoked at ${credential.revokedAt}; ask the operator for a new one`,
    };
  const identity = await state.localIdentity(credential.identityName);
  if (identity?.address.toLowerCase() !== credential.identityAddress)
    return { ok: false, problem: `the identity this credential acts as is no longer held by this engine` };
  return { ok: true, credential, identity };
}
