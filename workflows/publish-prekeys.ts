import { proxyActivities } from '@temporalio/workflow';
import type { PatientActivities } from '../activities/patients/index.js';
import { chainIo } from './activity-options.js';

export interface PublishPrekeysInput {
  owner: `0x${string}`;
  /** A signed prekey bundle (docs/formats.md § Prekey bundles) from the owner's wallet. */
  bundle: `0x${string}`;
}

const { publishPrekeys: addToPool } = proxyActivities<PatientActivities>(chainIo);

/**
 * More one-time prekeys from a patient's wallet, after the ones published with the registration:
 * each is checked against the owner's Directory key and added to the pool. Returns how many are
 * unclaimed.
 */
export async function publishPrekeys(input: PublishPrekeysInput): Promise<{ unclaimed: number }> {
  return { unclaimed: await addToPool(input.owner, input.bundle) };
}
