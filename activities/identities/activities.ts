import { hexToBytes, toHex, zeroAddress, type Hex } from 'viem';
import { addressOf, type PublicIdentity } from '../../core/crypto/index.js';
import { Directory } from '../../contracts/artifacts.js';
import { writeContract } from '../../core/ledger/contract-calls.js';
import { lookupIdentity } from '../../core/ledger/directory.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { badInput } from '../failures.js';
import { activityGroup } from '../activity-group.js';
import type { Engine } from '../engine.js';
import { Role, roleName } from '../../core/roles.js';
import type { Authorized } from '../../core/operators/authorization.js';
import { heldIdentity } from './local.js';

export interface DirectoryRegistration extends PublicIdentity {
  role: Role;
  name: string;
}

/** What a CA operator authorizes (core/operators/authorization.ts): who is registered, as what. */
export interface RegistrationRequest {
  name: string;
  role: Role;
  /** Set when a wallet made the keys (patients, and anyone who keeps their own); else the engine makes them. */
  identity?: PublicIdentity;
  /** A patient's signed prekey batch (docs/formats.md § Prekey bundles), published with the registration. */
  prekeyBundle?: `0x${string}`;
  /**
   * A doctor's hospital: the Directory records it, and readers show the doctor's records as that
   * hospital's. Part of what the operator signs, so the engine cannot change it.
   */
  organisation?: `0x${string}`;
}

/** What a CA operator authorizes: this account is revoked in the Directory from now on. */
export interface RevocationRequest {
  account: `0x${string}`;
}

/** Identity activities: keys in the engine's keystore, registration by the CA. */
export function createIdentityActivities(engine: Engine) {
  /** What the Directory checks of an affiliation, refused here with a reason before any transaction. */
  const requireEmployer = async (organisation: string, role: Role) => {
    if (role !== Role.Doctor)
      throw badInput(
        'BadAffiliation',
        `a ${roleName(role)} belongs to no organisation; only a doctor names its hospital`,
      );
    if (!/^0x[0-9a-f]{40}$/.test(organisation))
      throw badInput('BadAffiliation', `organisation ${organisation} is not a 0x-prefixed 20-byte address`);
    const employer = await lookupIdentity(engine.chain, engine.contracts.directory, organisation);
    if (!employer) throw badInput('BadAffiliation', `organisation ${organisation} is not registered in the Directory`);
    if (employer.revoked)
      throw badInput('BadAffiliation', `organisation ${organisation} (${employer.name}) has been revoked`);
    if (employer.role !== Role.Hospital)
      throw badInput(
        'BadAffiliation',
        `organisation ${organisation} (${employer.name}) is a ${roleName(employer.role)}; a doctor's must be a Hospital`,
      );
  };
  return activityGroup({
    /** Keys for an organisation or staff member, made once per name (a retry finds them again). */
    async createLocalIdentity(request: Authorized<RegistrationRequest>): Promise<PublicIdentity> {
      engine.operators.require('registerIdentity', request);
      return heldIdentity(engine, request);
    },

    /** The CA's `Directory.register`; an identical registration already on chain counts as done. */
    async registerInDirectory(
      registration: DirectoryRegistration,
      request: Authorized<RegistrationRequest>,
    ): Promise<{ transactionHash: Hex | null }> {
      engine.operators.require('registerIdentity', request);
      const keysOfRequest = request.identity ?? registration;
      if (
        registration.name !== request.name ||
        registration.role !== request.role ||
        registration.address.toLowerCase() !== keysOfRequest.address.toLowerCase() ||
        registration.publicKey.toLowerCase() !== keysOfRequest.publicKey.toLowerCase()
      ) {
        throw badInput(
          'OperatorNotAuthorized',
          `the registration of ${registration.address} is not the one the operator authorized`,
        );
      }
      const ca = engine.ca;
      if (!ca)
        throw badInput(
          'NotTheCA',
          'this engine does not hold the consortium CA key; the CA registers identities from its own engine',
        );
      if (toHex(addressOf(hexToBytes(registration.publicKey))) !== registration.address.toLowerCase()) {
        throw badInput(
          'KeyMismatch',
          `public key ${registration.publicKey.slice(0, 18)}… does not belong to account ${registration.address}`,
        );
      }
      const organisation = request.organisation?.toLowerCase() ?? null;
      const matches = async () => {
        const entry = await lookupIdentity(engine.chain, engine.contracts.directory, registration.address);
        if (!entry) return false;
        if (
          entry.role !== registration.role ||
          toHex(entry.publicKey) !== registration.publicKey.toLowerCase() ||
          entry.organisation !== organisation
        ) {
          throw badInput(
            'AlreadyRegistered',
            `${registration.address} is already registered as "${entry.name}" with role ${entry.role}${entry.organisation ? ` of ${entry.organisation}` : ''}`,
          );
        }
        return true;
      };
      if (await matches()) return { transactionHash: null };
      if (organisation !== null) await requireEmployer(organisation, registration.role);
      try {
        const receipt = await writeContract(engine.chain, ca.secretKey, {
          address: engine.contracts.directory,
          abi: Directory.abi,
          functionName: 'register',
          args: [
            registration.address,
            registration.role,
            registration.name,
            registration.publicKey,
            (organisation ?? zeroAddress) as Hex,
          ],
        });
        return { transactionHash: receipt.transactionHash as Hex };
      } catch (error) {
        if (
          error instanceof LedgerError &&
          error.code === 'REVERTED' &&
          error.message.includes('already registered') &&
          (await matches())
        )
          return { transactionHash: null };
        throw error;
      }
    },

    /**
     * The CA's `Directory.revoke`: from this block on the account may not write, and what it wrote
     * before stays valid history. Revoking a revoked account counts as done.
     */
    async revokeInDirectory(
      request: Authorized<RevocationRequest>,
    ): Promise<{ revokedAt: number; transactionHash: Hex | null }> {
      engine.operators.require('revokeIdentity', request);
      const ca = engine.ca;
      if (!ca)
        throw badInput(
          'NotTheCA',
          'this engine does not hold the consortium CA key; the CA revokes identities from its own engine',
        );
      const revokedAt = async () => {
        const entry = await lookupIdentity(engine.chain, engine.contracts.directory, request.account);
        if (!entry) throw badInput('NotRegistered', `${request.account} is not registered in the Directory`);
        return entry.revokedAt;
      };
      const already = await revokedAt();
      if (already !== null) return { revokedAt: already, transactionHash: null };
      try {
        const receipt = await writeContract(engine.chain, ca.secretKey, {
          address: engine.contracts.directory,
          abi: Directory.abi,
          functionName: 'revoke',
          args: [request.account],
        });
        return { revokedAt: receipt.blockNumber, transactionHash: receipt.transactionHash as Hex };
      } catch (error) {
        // an earlier attempt of this activity committed it
        const since = error instanceof LedgerError && error.code === 'REVERTED' ? await revokedAt() : null;
        if (since === null) throw error;
        return { revokedAt: since, transactionHash: null };
      }
    },
  });
}

export type IdentityActivities = ReturnType<typeof createIdentityActivities>;
