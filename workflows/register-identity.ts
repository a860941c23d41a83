import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { IdentityActivities } from '../activities/identities/index.js';
import type { PublicIdentity } from '../core/crypto/index.js';
import type { Role } from '../core/roles.js';
import type { PatientActivities } from '../activities/patients/index.js';
import { chainIo, quickIo } from './activity-options.js';

export interface RegisterIdentityInput {
  name: string;
  role: Role;
  /** Set when a wallet made the keys (patients, and anyone who keeps their own); else the engine makes them. */
  identity?: PublicIdentity;
  /** A patient's signed prekey batch (docs/formats.md § Prekey bundles), published with the registration. */
  prekeyBundle?: `0x${string}`;
}

export interface RegisteredIdentity extends PublicIdentity {
  transactionHash: string | null;
  /** Unclaimed prekeys after publishing, for patients. */
  prekeys?: number;
}

const { createLocalIdentity } = proxyActivities<IdentityActivities>(quickIo);
const { registerInDirectory } = proxyActivities<IdentityActivities>(chainIo);
const { publishPrekeys } = proxyActivities<PatientActivities>(chainIo);

/** Keys (in the engine's keystore unless a wallet brings its own), the CA's Directory entry, and a patient's prekeys. */
export async function registerIdentity(input: RegisterIdentityInput): Promise<RegisteredIdentity> {
  if (input.prekeyBundle && !input.identity) {
    throw ApplicationFailure.nonRetryable(
      'a prekey bundle comes from the wallet that holds its secrets; pass the wallet identity with it',
      'BadRegistration',
    );
  }
  const identity = input.identity ?? (await createLocalIdentity(input.name, input.role));
  const { transactionHash } = await registerInDirectory({ ...identity, role: input.role, name: input.name });
  const prekeys = input.prekeyBundle ? await publishPrekeys(identity.address, input.prekeyBundle) : undefined;
  return { ...identity, transactionHash, ...(prekeys === undefined ? {} : { prekeys }) };
}
