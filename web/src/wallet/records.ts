import { lookupIdentity, type DirectoryEntry } from '../../../core/ledger/directory.js';
import { grantRequest, requestGrant } from '../../../wallet/engine-api.js';
import type { EngineList } from '../../../wallet/engine-list.js';
import type { ReceivedItem } from '../../../wallet/inbox-client.js';
import { byline, type OpenedRecord } from '../../../wallet/open-record.js';
import { readTimeline, type Timeline, type TimelineEntry, type TimelineProblem } from '../../../wallet/timeline.js';
import type { Wallet } from '../../../wallet/wallet.js';
import { chainGateway } from '../gateway';

export type { ReceivedItem, OpenedRecord, Timeline, TimelineEntry, TimelineProblem };
export { byline };

/** The Directory's entry for an account (a wallet imported here may have been registered elsewhere). */
export async function directoryEntry(address: string): Promise<DirectoryEntry | undefined> {
  const { chain, contracts } = await chainGateway();
  return lookupIdentity(chain, contracts.directory, address);
}

/**
 * Every record of every engine in the list, opened in this browser as `yilian wallet timeline`
 * opens them: each engine asked only about what it delivered, through its own chain and block
 * gateways, every block re-hashed against its CID, decrypted with this wallet's keys, the author and
 * their hospital checked against the consortium's Directory as of the record's block.
 */
export function readWalletTimeline(wallet: Wallet, list: EngineList): Promise<Timeline> {
  if (!list.contracts || list.engines.length === 0) return Promise.resolve({ entries: [], problems: [] });
  return readTimeline(wallet, list.engines, list.contracts);
}

/**
 * Grants one of this wallet's own records to one grantee at `engine` (the grantee's, or the one that
 * delivered the record): the re-encryption key is made here from the record's prekey secret and the
 * grantee's one-time key, and only it leaves the browser.
 */
export async function grantRecord(
  wallet: Wallet,
  engine: string,
  item: Extract<ReceivedItem, { kind: 'record' }>,
  grantee: string,
  granteeKey: string,
): Promise<{ grantee: string; granteeName: string }> {
  return requestGrant(engine, await grantRequest(wallet, item, grantee.trim(), granteeKey.trim()));
}
