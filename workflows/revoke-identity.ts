import { proxyActivities } from '@temporalio/workflow';
import type { IdentityActivities, RevocationRequest } from '../activities/identities/index.js';
import type { Authorized } from '../core/operators/authorization.js';
import { chainIo } from './activity-options.js';

/** A revocation a CA operator of this engine signed (docs/security.md § Operators). */
export type RevokeIdentityInput = Authorized<RevocationRequest>;

const { revokeInDirectory } = proxyActivities<IdentityActivities>(chainIo);

/**
 * The CA revokes an identity in the Directory: from the block it lands in, the account may not
 * create records or push trace steps, and readers mark what it writes; what it wrote before stays.
 */
export async function revokeIdentity(
  input: RevokeIdentityInput,
): Promise<{ revokedAt: number; transactionHash: string | null }> {
  return revokeInDirectory(input);
}
