import { hexToBytes, zeroAddress } from 'viem';
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
  /**
   * The block the CA revoked it in, null while it stands. What it wrote on chain up to that block
   * stays valid; the contracts refuse it from the revocation on.
   */
  revokedAt: number | null;
  /** The organisation a staff identity belongs to (a doctor's hospital), lowercase; null for none. */
  organisation: string | null;
}

/** The Directory's entry for `address`, or undefined when the CA never registered it. */
export async function lookupIdentity(
  client: FiscoClient,
  directory: string,
  address: string,
): Promise<DirectoryEntry | undefined> {
  try {
    const [role, name, publicKey, revoked, revokedAt, organisation] = await readContract(client, {
      address: directory,
      abi: Directory.abi,
      functionName: 'get',
      args: [address as `0x${string}`],
    });
    return {
      address: address.toLowerCase(),
      role,
      name,
      publicKey: hexToBytes(publicKey),
      revoked,
      revokedAt: revoked ? Number(revokedAt) : null,
      organisation: organisation === zeroAddress ? null : organisation.toLowerCase(),
    };
  } catch (error) {
    if (error instanceof LedgerError && error.code === 'REVERTED' && error.message.includes('not registered'))
      return undefined;
    throw error;
  }
}

/**
 * The entry of a registered, unrevoked identity whose organisation (a doctor's hospital) is
 * unrevoked too; otherwise a DirectoryError saying which it is not.
 */
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
  // a doctor stands only while their hospital does, as Directory.activeRole says
  const organisation =
    entry.organisation === null ? undefined : await lookupIdentity(client, directory, entry.organisation);
  if (organisation?.revoked)
    throw new DirectoryError(
      'REVOKED',
      `${what} ${address} (${entry.name}) belongs to ${organisation.address} (${organisation.name}), which has been revoked in the Directory`,
    );
  return entry;
}

/**
 * Whether `entry` was unrevoked when the chain accepted its write in block `block`. A write in the
 * revocation's own block counts as before it: the contracts refuse a revoked sender at once, so a
 * write that block holds ran ahead of the revocation.
 */
export function standingAt(entry: DirectoryEntry, block: number): boolean {
  return entry.revokedAt === null || block <= entry.revokedAt;
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
