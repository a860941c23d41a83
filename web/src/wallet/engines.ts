import { engineAudience } from '../../../core/inbox/request-signature.js';
import { Role } from '../../../core/roles.js';
import { addEngine, publishPrekeysTo } from '../../../wallet/add-engine.js';
import { EngineList, type EngineLink } from '../../../wallet/engine-list.js';
import type { Wallet } from '../../../wallet/wallet.js';
import { chainGateway } from '../gateway';
import { FIRST_PREKEYS, rememberedRegistration } from './browser-wallet';
import { browserEngineListSlot } from './engine-list-slot';

export type { EngineLink };
export { EngineList };

/** The engine this page was served by, as the wallet addresses it. */
export const pageEngine = (): string => engineAudience(location.origin);

/** This wallet's engine list, as this browser keeps it. */
export const openEngineList = (wallet: Wallet): Promise<EngineList> =>
  EngineList.open(browserEngineListSlot(wallet.identity.address));

/**
 * Adds an organisation's engine to this wallet's list, as `yilian wallet engines add` does, with the
 * Directory read through this page's own engine (the one whose code this wallet runs, so trusted no
 * less) and never through the engine being added. A patient's wallet then gives it prekeys of its
 * own: those its registration request carried, if the request went to this engine (a CA operator
 * approving it there published them there), else `FIRST_PREKEYS` new ones.
 */
export async function addEngineHere(
  list: EngineList,
  wallet: Wallet,
  request: { apiUrl: string; organisation: string },
): Promise<{ link: EngineLink; published: number | null }> {
  const { chain } = await chainGateway();
  const { link, self } = await addEngine(list, wallet, { ...request, directory: chain });
  if (self.role !== Role.Patient) return { link, published: null };
  const note = rememberedRegistration();
  const taken = new Set(list.engines.flatMap((engine) => engine.prekeys));
  const fromRequest = note?.engine === link.apiUrl ? (note.prekeys ?? []).filter((id) => !taken.has(id)) : [];
  if (fromRequest.length > 0) await list.notePrekeys(link.apiUrl, fromRequest);
  if (list.engine(link.apiUrl).prekeys.length > 0) return { link: list.engine(link.apiUrl), published: null };
  const { unclaimed } = await publishPrekeysTo(list, wallet, link.apiUrl, FIRST_PREKEYS);
  return { link: list.engine(link.apiUrl), published: unclaimed };
}
