import { engineAudience } from '../../../core/inbox/request-signature.js';
import { addEngine } from '../../../wallet/add-engine.js';
import { publishPrekeys } from '../../../wallet/engine-api.js';
import { EngineList, type EngineLink } from '../../../wallet/engine-list.js';
import type { Wallet } from '../../../wallet/wallet.js';
import { FIRST_PREKEYS, pageEngine, rememberedRegistration } from './browser-wallet';
import { browserEngineListSlot } from './engine-list-slot';

export type { EngineLink };
export { EngineList, pageEngine };

/** This wallet's engine list, as this browser keeps it. */
export const openEngineList = (wallet: Wallet): Promise<EngineList> =>
  EngineList.open(browserEngineListSlot(wallet.identity.address));

/**
 * Adds an organisation's engine to this wallet's list, as `yilian wallet engines add` does
 * (addEngine). A patient's wallet gives it prekeys of its own: those its registration request
 * carried, if the request went to this engine (a CA operator approving it there published them
 * there), else `FIRST_PREKEYS` new ones. Answers how many the engine holds unclaimed when new ones
 * were published, null otherwise.
 */
export async function addEngineHere(
  list: EngineList,
  wallet: Wallet,
  request: { apiUrl: string; organisation: string },
): Promise<{ link: EngineLink; unclaimed: number | null }> {
  const apiUrl = engineAudience(request.apiUrl.trim());
  const note = rememberedRegistration();
  const taken = new Set(list.engines.flatMap((engine) => engine.prekeys));
  const fromRequest = note?.engine === apiUrl ? (note.prekeys ?? []).filter((id) => !taken.has(id)) : [];
  const given = list.engines.find((engine) => engine.apiUrl === apiUrl)?.prekeys.length ?? 0;
  const { link, unclaimed } = await addEngine(wallet, list, {
    apiUrl,
    organisation: request.organisation.trim(),
    prekeys: fromRequest.length > 0 || given > 0 ? 0 : FIRST_PREKEYS,
  });
  if (fromRequest.length > 0) await list.notePrekeys(link.apiUrl, fromRequest);
  return { link: list.engine(link.apiUrl), unclaimed };
}

/** Publishes `count` more prekeys to one engine of the list, noted as that engine's alone; how many it holds unclaimed. */
export async function publishMorePrekeys(
  list: EngineList,
  wallet: Wallet,
  apiUrl: string,
  count: number,
): Promise<{ unclaimed: number }> {
  const { ids, unclaimed } = await publishPrekeys(list.engine(apiUrl).apiUrl, wallet, count);
  await list.notePrekeys(apiUrl, ids);
  return { unclaimed };
}
