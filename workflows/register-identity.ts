import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { IdentityActivities, RegistrationRequest } from '../activities/identities/index.js';
import type { PublicIdentity } from '../core/crypto/index.js';
import type { Authorized } from '../core/operators/authorization.js';
import type { PatientActivities } from '../activities/patients/index.js';
import { chainIo, quickIo } from './activity-options.js';

/** A registration a CA operator of this engine signed (docs/security.md § Operators). */
export type RegisterIdentityInput = Authorized<RegistrationRequest>;

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
  const identity = input.identity ?? (await createLocalIdentity(input));
  const { transactionHash } = await registerInDirectory({ ...identity, role: input.role, name: input.name }, input);
  const prekeys = input.prekeyBundle ? await publishPrekeys(identity.address, input.prekeyBundle) : undefined;
  return { ...identity, transactionHash, ...(prekeys === undefined ? {} : { prekeys }) };
}
