import { hexToBytes, toHex, type Hex } from 'viem';
import { addressOf, type PublicIdentity } from '../../core/crypto/index.js';
import { Directory } from '../../contracts/artifacts.js';
import { writeContract } from '../../core/ledger/contract-calls.js';
import { lookupIdentity } from '../../core/ledger/directory.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { badInput } from '../failures.js';
import { activityGroup } from '../activity-group.js';
import type { Engine } from '../engine.js';
import type { Role } from '../../core/roles.js';

export interface DirectoryRegistration extends PublicIdentity {
  role: Role;
  name: string;
}

/** Identity activities: keys in the engine's keystore, registration by the CA. */
export function createIdentityActivities(engine: Engine) {
  return activityGroup({
    /** Keys for an organisation or staff member, made once per name (a retry finds them again). */
    async createLocalIdentity(name: string, role: Role): Promise<PublicIdentity> {
      const known = await engine.state.localIdentity(name);
      const identity = known ? await engine.keyring.identity(known.address) : await engine.keyring.create();
      const address = toHex(identity.address);
      if (!known) await engine.state.addLocalIdentity({ name, address, role });
      return { address, publicKey: toHex(identity.publicKey) };
    },

    /** The CA's `Directory.register`; an identical registration already on chain counts as done. */
    async registerInDirectory(registration: DirectoryRegistration): Promise<{ transactionHash: Hex | null }> {
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
      const matches = async () => {
        const entry = await lookupIdentity(engine.chain, engine.contracts.directory, registration.address);
        if (!entry) return false;
        if (entry.role !== registration.role || toHex(entry.publicKey) !== registration.publicKey.toLowerCase()) {
          throw badInput(
            'AlreadyRegistered',
            `${registration.address} is already registered as "${entry.name}" with role ${entry.role}`,
          );
        }
        return true;
      };
      if (await matches()) return { transactionHash: null };
      try {
        const receipt = await writeContract(engine.chain, ca.secretKey, {
          address: engine.contracts.directory,
          abi: Directory.abi,
          functionName: 'register',
          args: [registration.address, registration.role, registration.name, registration.publicKey],
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
  });
}

export type IdentityActivities = ReturnType<typeof createIdentityActivities>;
