import { toHex, zeroAddress } from 'viem';
import { Directory } from '../../contracts/artifacts.js';
import type { Identity } from '../../core/crypto/index.js';
import { writeContract } from '../../core/ledger/contract-calls.js';
import type { FiscoClient } from '../../core/ledger/fisco-client.js';

/** What the CA registers of an identity: its key (the secret may be in a wallet the test holds). */
export type Registered = Pick<Identity, 'address' | 'publicKey'>;

/**
 * The CA's writes to a Directory, for tests that set up Directories of their own (often two that
 * disagree): register `who` with its role, name and key, and a doctor's hospital or no organisation.
 */
export function directoryWrites(client: FiscoClient, ca: Identity) {
  return {
    register: (directory: string, who: Registered, role: number, name: string, organisation?: Identity) =>
      writeContract(client, ca.secretKey, {
        address: directory,
        abi: Directory.abi,
        functionName: 'register',
        args: [
          toHex(who.address),
          role,
          name,
          toHex(who.publicKey),
          organisation ? toHex(organisation.address) : zeroAddress,
        ],
      }),
    revoke: (directory: string, who: Identity) =>
      writeContract(client, ca.secretKey, {
        address: directory,
        abi: Directory.abi,
        functionName: 'revoke',
        args: [toHex(who.address)],
      }),
  };
}
