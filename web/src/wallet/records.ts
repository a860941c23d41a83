import type { Hex } from 'viem';
import { lookupIdentity, type DirectoryEntry } from '../../../core/ledger/directory.js';
import { GatewayContent } from '../../../core/storage/gateway-content.js';
import { fetchInbox, type ReceivedItem } from '../../../wallet/inbox-client.js';
import { byline, openRecord, type OpenedRecord } from '../../../wallet/open-record.js';
import type { Wallet } from '../../../wallet/wallet.js';
import { chainGateway } from '../gateway';

export type { ReceivedItem, OpenedRecord };
export { byline };

/** The Directory's entry for an account (a wallet imported here may have been registered elsewhere). */
export async function directoryEntry(address: string): Promise<DirectoryEntry | undefined> {
  const { chain, contracts } = await chainGateway();
  return lookupIdentity(chain, contracts.directory, address);
}

/** Records anchored for this wallet and records granted to it, opened here (the inbox is sealed to its key). */
export const readInbox = (wallet: Wallet): Promise<ReceivedItem[]> => fetchInbox(location.origin, wallet);

/**
 * Opens one record in the browser as `yilian record read` does: the chain through the engine's
 * gateway, every block re-hashed against its CID, decrypted with this wallet's keys, the author's
 * signature checked against the Directory as of the record's block.
 */
export async function readRecord(wallet: Wallet, item: ReceivedItem): Promise<OpenedRecord> {
  const { location: where, key } = await wallet.recordKey(item);
  const { chain, contracts } = await chainGateway();
  return openRecord({ chain, contracts, store: new GatewayContent(location.origin) }, where, key);
}

/**
 * Grants one of this wallet's own records to one grantee: the re-encryption key is made here from
 * the record's prekey secret and the grantee's one-time key, and only it leaves the browser.
 */
export async function grantRecord(
  wallet: Wallet,
  item: Extract<ReceivedItem, { kind: 'record' }>,
  grantee: string,
  granteeKey: string,
): Promise<{ grantee: string; granteeName: string }> {
  const key = granteeKey.trim().toLowerCase() as Hex;
  const body = {
    recordId: item.recordId,
    cid: item.cid,
    patient: wallet.identity.address,
    prekeyIndex: item.prekeyIndex,
    grantee: grantee.trim().toLowerCase(),
    granteeKey: key,
    rk: await wallet.rekey(item.prekeyIndex, key),
    // for an engine the prekey was never published to, which checks it against the Directory
    prekey: await wallet.signedPrekey(item.prekeyIndex),
  };
  const response = await fetch('/v1/grants', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json().catch(() => ({}))) as { error?: string; grantee: string; granteeName: string };
  if (!response.ok) throw new Error(`grant: ${answer.error ?? `HTTP ${String(response.status)}`}`);
  return answer;
}

/** Makes `count` more one-time prekeys here (their secrets stay in the keystore) and publishes their signed public halves. */
export async function publishPrekeys(wallet: Wallet, count: number): Promise<{ unclaimed: number }> {
  const bundle = await wallet.addPrekeys(count);
  const response = await fetch('/v1/prekeys', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ owner: wallet.identity.address, bundle }),
  });
  const answer = (await response.json().catch(() => ({}))) as { error?: string; unclaimed: number };
  if (!response.ok) throw new Error(`prekeys: ${answer.error ?? `HTTP ${String(response.status)}`}`);
  return answer;
}
