import { connectChainGateway } from '../core/ledger/chain-gateway.js';
import type { ContractAddresses } from '../core/ledger/contract-addresses.js';
import type { FiscoClient } from '../core/ledger/fisco-client.js';
import { GatewayContent } from '../core/storage/gateway-content.js';
import type { EngineLink } from './engine-list.js';
import { fetchInbox, type ReceivedItem } from './inbox-client.js';
import { openRecord, RecordVerificationError, type OpenedRecord } from './open-record.js';
import type { Wallet } from './wallet.js';

/** A record of the timeline: verified, and from the engine that delivered it. */
export interface TimelineEntry {
  engine: EngineLink;
  item: ReceivedItem;
  record: OpenedRecord;
}

/**
 * Something the wallet would not show, and why: an engine it could not reach (its records wait
 * there), an engine that names another deployment, or an item that did not verify (which link).
 */
export interface TimelineProblem {
  engine: EngineLink;
  /** The inbox item, when the problem is one item; absent when the whole engine is. */
  item?: ReceivedItem;
  /** `engine`: the whole engine; `inbox`: an item the engine could not have been sent; else the link of openRecord that did not hold. */
  step: RecordVerificationError['step'] | 'engine' | 'inbox';
  message: string;
}

export interface Timeline {
  /** Oldest first, by the block each record was created in. */
  entries: TimelineEntry[];
  problems: TimelineProblem[];
}

/**
 * One timeline across every engine the wallet is enrolled with (docs/design.md § The consortium,
 * part 2). Each engine is asked only about what it delivered: its inbox, and through its own chain
 * gateway and block gateway the chain state and content of those items, so no engine learns a
 * record id or CID that came from another. Every item is verified before it is shown (the record
 * id against the chain, the content against its CID and key, the author and their hospital against
 * the Directory of the consortium's pinned contracts); one engine away or lying costs only its own
 * items, each reported with what was wrong.
 */
export async function readTimeline(
  wallet: Wallet,
  engines: readonly EngineLink[],
  contracts: ContractAddresses,
): Promise<Timeline> {
  const perEngine = await Promise.all(engines.map((engine) => readEngine(wallet, engine, contracts)));
  const entries = perEngine
    .flatMap((read) => read.entries)
    .sort((a, b) => a.record.createdAt - b.record.createdAt || a.item.seq - b.item.seq);
  return { entries, problems: perEngine.flatMap((read) => read.problems) };
}

async function readEngine(wallet: Wallet, engine: EngineLink, pinned: ContractAddresses): Promise<Timeline> {
  const whole = (message: string): Timeline => ({ entries: [], problems: [{ engine, step: 'engine', message }] });
  let items: ReceivedItem[];
  let chain: FiscoClient;
  try {
    const gateway = await connectChainGateway(engine.apiUrl);
    if (gateway.contracts.directory.toLowerCase() !== pinned.directory.toLowerCase())
      return whole(
        `${engine.name} (${engine.apiUrl}) names the Directory ${gateway.contracts.directory}, not the consortium's ${pinned.directory}`,
      );
    chain = gateway.chain;
    items = await fetchInbox(engine.apiUrl, wallet);
  } catch (error) {
    return whole(`${engine.name} (${engine.apiUrl}) could not be read: ${(error as Error).message}`);
  }
  const store = new GatewayContent(engine.apiUrl);
  const timeline: Timeline = { entries: [], problems: [] };
  for (const item of items) {
    // a record anchored for this wallet is wrapped to a prekey it gave this engine, and no other
    if (item.kind === 'record' && !engine.prekeys.includes(item.prekeyIndex)) {
      timeline.problems.push({
        engine,
        item,
        step: 'inbox',
        message: `${engine.name} (${engine.apiUrl}) delivered record ${item.recordId} under prekey ${item.prekeyIndex}, which this wallet never gave it`,
      });
      continue;
    }
    try {
      const { location, key } = await wallet.recordKey(item);
      timeline.entries.push({
        engine,
        item,
        record: await openRecord({ chain, contracts: pinned, store }, location, key),
      });
    } catch (error) {
      timeline.problems.push({
        engine,
        item,
        step: error instanceof RecordVerificationError ? error.step : 'unwrap',
        message: (error as Error).message,
      });
    }
  }
  return timeline;
}
