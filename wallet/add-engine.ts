import { engineAudience } from '../core/inbox/request-signature.js';
import { connectChainGateway } from '../core/ledger/chain-gateway.js';
import { lookupIdentity } from '../core/ledger/directory.js';
import { Role, roleName } from '../core/roles.js';
import { publishPrekeys } from './engine-api.js';
import type { EngineLink, EngineList } from './engine-list.js';
import type { Wallet } from './wallet.js';

/** Organisations whose engine a person enrols with: a hospital's anchors their records, a pharmacy's delivers grants to its pharmacists. */
const ENGINE_ROLES: ReadonlySet<number> = new Set([Role.Hospital, Role.Pharmacy]);

/** Why an engine was not added, for a page to say in its reader's language. */
export class EngineNotAdded extends Error {
  constructor(
    /** `organisation`: the account is not an unrevoked hospital's or pharmacy's; `self`: the wallet is not registered. */
    readonly reason: 'organisation' | 'self',
    message: string,
  ) {
    super(message);
    this.name = 'EngineNotAdded';
  }
}

/**
 * Adds an organisation's engine to a wallet's list: the organisation is the account the person was
 * given (on the hospital's letter, say), and its name is read from the consortium's Directory, not
 * taken from the engine. A patient then publishes `prekeys` fresh one-time prekeys to that engine
 * alone. Returns the link and how many prekeys the engine now holds unclaimed.
 */
export async function addEngine(
  wallet: Wallet,
  list: EngineList,
  request: { apiUrl: string; organisation: string; prekeys: number },
): Promise<{ link: EngineLink; published: number; unclaimed: number | null }> {
  const organisation = request.organisation.toLowerCase();
  if (!/^0x[0-9a-f]{40}$/.test(organisation))
    throw new Error(
      `an organisation is its account, 0x and 40 hex digits, not ${JSON.stringify(request.organisation)}`,
    );
  if (!Number.isInteger(request.prekeys) || request.prekeys < 0 || request.prekeys > 500)
    throw new Error(`prekeys must be a whole number from 0 to 500, not ${String(request.prekeys)}`);
  const apiUrl = engineAudience(request.apiUrl);
  const { chain, contracts } = await connectChainGateway(apiUrl);
  // read through the contracts the wallet already trusts: an engine naming others is refused by list.add
  const directory = (list.contracts ?? contracts).directory;
  const entry = await lookupIdentity(chain, directory, organisation);
  if (!entry || entry.revoked || !ENGINE_ROLES.has(entry.role))
    throw new EngineNotAdded(
      'organisation',
      `${organisation} is not a registered, unrevoked hospital or pharmacy in the Directory` +
        (entry ? ` (it is ${entry.name}, ${roleName(entry.role)}${entry.revoked ? ', revoked' : ''})` : ''),
    );
  const self = await lookupIdentity(chain, directory, wallet.identity.address);
  if (!self)
    throw new EngineNotAdded('self', `this wallet (${wallet.identity.address}) is not registered in the Directory yet`);
  const link = await list.add({ apiUrl, organisation, name: entry.name }, contracts);
  if (self.role !== Role.Patient || request.prekeys === 0) return { link, published: 0, unclaimed: null };
  const { ids, unclaimed } = await publishPrekeys(link.apiUrl, wallet, request.prekeys);
  await list.notePrekeys(link.apiUrl, ids);
  return { link: list.engine(link.apiUrl), published: ids.length, unclaimed };
}
