import { join } from 'node:path';
import { z } from 'zod';
import { heldIdentity } from '../../activities/identities/index.js';
import { EngineKeyring } from '../../activities/state/index.js';
import { Role } from '../../core/roles.js';
import type { Config } from '../config/index.js';
import { keystorePassword } from '../chain/password.js';
import { withEngineState } from './open.js';

/** Roles of identities whose keys the engine holds, by the names the CLI's `--role` takes. */
export const LOCAL_ROLES = {
  hospital: Role.Hospital,
  doctor: Role.Doctor,
  manufacturer: Role.Manufacturer,
  carrier: Role.Carrier,
  pharmacy: Role.Pharmacy,
  regulator: Role.Regulator,
} as const;

/** The role `--role <name>` names, or an error listing the ones it may name. */
export function localRole(name: string): Role {
  if (!Object.hasOwn(LOCAL_ROLES, name))
    throw new Error(`--role must be one of ${Object.keys(LOCAL_ROLES).join(', ')}, not ${name}`);
  return LOCAL_ROLES[name as keyof typeof LOCAL_ROLES];
}

const localRoles: ReadonlySet<number> = new Set(Object.values(LOCAL_ROLES));
const hex = (bytes: number) =>
  z.custom<`0x${string}`>(
    (value) => typeof value === 'string' && new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`).test(value),
    `must be 0x and ${bytes * 2} lowercase hex digits`,
  );

/**
 * `--organisation <account>` of an identity with `role`: undefined when not given, else a lowercase
 * 0x account, or an error naming what is wrong (only a doctor belongs to a hospital).
 */
export function organisationOption(value: string | undefined, role: Role): `0x${string}` | undefined {
  if (value === undefined) return undefined;
  if (role !== Role.Doctor) throw new Error('--organisation is for a doctor: the hospital they belong to');
  const account = value.toLowerCase();
  if (!/^0x[0-9a-f]{40}$/.test(account))
    throw new Error(
      `--organisation must be the hospital's account, 0x and 40 hex digits, not ${JSON.stringify(value)}`,
    );
  return account as `0x${string}`;
}

/**
 * What an organisation hands the CA to be registered (`yilian org keys` prints it, `yilian ca
 * register` reads it): its name and role, and the public half of keys only its own engine holds;
 * a doctor's card names the hospital they belong to.
 */
export const identityCardSchema = z.strictObject({
  name: z.string().min(1).max(100),
  role: z.custom<Role>(
    (role) => typeof role === 'number' && localRoles.has(role),
    `must be a role an engine holds keys for: ${Object.values(LOCAL_ROLES).join(', ')}`,
  ),
  address: hex(20),
  publicKey: hex(64),
  organisation: hex(20).optional(),
});
export type IdentityCard = z.infer<typeof identityCardSchema>;

/**
 * The organisation's (or a staff member's) keys in this engine's own keystore, made on the first
 * call: its identity card. `organisation` is a doctor's hospital.
 */
export async function organisationKeys(
  config: Config,
  name: string,
  role: Role,
  organisation?: `0x${string}`,
): Promise<IdentityCard> {
  const keyring = new EngineKeyring(join(config.home, 'keys'), await keystorePassword(config));
  const identity = await withEngineState(config.home, (state) => heldIdentity({ state, keyring }, { name, role }));
  return {
    name,
    role,
    address: identity.address,
    publicKey: identity.publicKey,
    ...(organisation ? { organisation } : {}),
  };
}
