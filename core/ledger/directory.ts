import { hexToBytes } from 'viem';
import { Directory } from '../../contracts/artifacts.js';
import type { FiscoClient } from './fisco-client.js';
import { readContract } from './contract-calls.js';
import { LedgerError } from './errors.js';

export interface DirectoryEntry {
  address: string;
  role: number;
  name: string;
  /** 64-byte secp256k1 key; its address is `address`. */
  publicKey: Uint8Array;
  revoked: boolean;
}

/** The Directory's entry for `address`, or undefined when the CA never registered it. */
export async function lookupIdentity(
  client: FiscoClient,
  directory: string,
  address: string,
): Promise<DirectoryEntry | undefined> {
  try {
    const [role, name, publicKey, revoked] = await readContract(client, {
      address: directory,
      abi: Directory.abi,
      functionName: 'get',
      args: [address as `0x${string}`],
    });
    return { address: address.toLowerCase(), role, name, publicKey: hexToBytes(publicKey), revoked };
  } catch (error) {
    if (error instanceof LedgerError && error.code === 'REVERTED' && error.message.includes('not registered'))
      return undefined;
    throw error;
  }
}

/** The entry of a registered, unrevoked identity; otherwise a DirectoryError saying which it is not. */
export async function requireIdentity(
  client: FiscoClient,
  directory: string,
  address: string,
  what: string,
): Promise<DirectoryEntry> {
  const entry = await lookupIdentity(client, directory, address);
  if (!entry) throw new DirectoryError('NOT_REGISTERED', `${what} ${address} is not registered in the Directory`);
  if (entry.revoked)
    throw new DirectoryError('REVOKED', `${what} ${address} (${entry.name}) has been revoked in the Directory`);
  return entry;
}

export class DirectoryError extends Error {
  constructor(
    readonly code: 'NOT_REGISTERED' | 'REVOKED' | 'WRONG_ROLE',
    message: string,
  ) {
    super(message);
    this.name = 'DirectoryError';
  }
}
