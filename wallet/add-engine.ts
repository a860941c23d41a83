import type { ContractAddresses } from '../core/ledger/contract-addresses.js';
import { connectChainGateway } from '../core/ledger/chain-gateway.js';
import { lookupIdentity, type DirectoryEntry } from '../core/ledger/directory.js';
import type { FiscoClient } from '../core/ledger/fisco-client.js';
import { engineAudience } from '../core/inbox/request-signature.js';
import { Role, roleName } from '../core/roles.js';
import { publishPrekeys } from './engine-api.js';
import type { EngineLink, EngineList } from './engine-list.js';
import type { Wallet } from './wallet.js';

/** Organisations whose engine a person enrols with: they send records (hospitals) or grants and dispenses (pharmacies). */
export const ENGINE_ROLES: ReadonlySet<number> = new Set([Role.Hospital, Role.Pharmacy]);

/** Why an engine was not added, for a page to say in its reader's language. */
export class EngineNotAdded extends Error {
  constructor(
    /** `organisation`: the account is not an unrevoked hospital or pharmacy; `self`: the wallet is not registered. */
    readonly reason: 'organisation' | 'self',
    message: string,
  ) {
    super(message);
    this.name = 'EngineNotAdded';
  }
}

export interface AddEngineRequest {
  /** The organisation's engine API, as it gave it to the person. */
  apiUrl: string;
  /** The organisation's Directory account, as it gave it to the person. */
  organisation: string;
  /**
   * Where the Directory is read: the chain through an engine the wallet already trusts (a browser
   * wallet's own page's), else through the added engine's own gateway. Either way the contracts are
   * the consortium's pinned ones, and an engine that names others is refused.
   */
  directory?: FiscoClient;
}

/**
 * Adds an organisation's engine to a wallet's list (`yilian wallet engines add`, the web wallet's
 * engine form): its name is read from the Directory, never from the engine, and must be an
 * unrevoked hospital's or pharmacy's; the wallet itself must be registered. Answers the link, the
 * organisation's and the wallet's own Directory entries (a patient then publishes prekeys to it).
 */
export async function addEngine(
  list: EngineList,
  wallet: Wallet,
  request: AddEngineRequest,
): Promise<{ link: EngineLink; organisation: DirectoryEntry; self: DirectoryEntry }> {
  const organisation = request.organisation.trim().toLowerCase();
  if (!/^0x[0-9a-f]{40}$/.test(organisation))
    throw new Error(`an organisation's account is 0x and 40 hex digits, not ${JSON.stringify(request.organisation)}`);
  const apiUrl = engineAudience(request.apiUrl.trim());
  const { chain, contracts } = await connectChainGateway(apiUrl);
  const pinned: ContractAddresses = list.contracts ?? contracts;
  const directory = request.directory ?? chain;
  // the organisation and the person as the consortium's Directory has them, read through the
  // pinned contracts: an engine that names other contracts is refused by list.add below
  const entry = await lookupIdentity(directory, pinned.directory, organisation);
  if (!entry || entry.revoked || !ENGINE_ROLES.has(entry.role))
    throw new EngineNotAdded(
      'organisation',
      `${organisation} is not a registered, unrevoked hospital or pharmacy in the Directory${entry ? ` (it is ${entry.name}, ${roleName(entry.role)}${entry.revoked ? ', revoked' : ''})` : ''}`,
    );
  const self = await lookupIdentity(directory, pinned.directory, wallet.identity.address);
  if (!self)
    throw new EngineNotAdded('self', `this wallet (${wallet.identity.address}) is not registered in the Directory yet`);
  const link = await list.add({ apiUrl, organisation, name: entry.name }, contracts);
  return { link, organisation: entry, self };
}

/**
 * Publishes `count` new prekeys to one engine of the list and notes them as that engine's alone;
 * how many it now holds unclaimed.
 */
export async function publishPrekeysTo(
  list: EngineList,
  wallet: Wallet,
  apiUrl: string,
  count: number,
): Promise<{ ids: number[]; unclaimed: number }> {
  const engine = list.engine(apiUrl);
  const published = await publishPrekeys(engine.apiUrl, wallet, count);
  await list.notePrekeys(engine.apiUrl, published.ids);
  return published;
}
