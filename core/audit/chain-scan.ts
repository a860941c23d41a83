import { decodeEventLog, type Hex } from 'viem';
import { Directory, DrugTrace, RecordRegistry } from '../../contracts/artifacts.js';
import type { ContractAddresses } from '../ledger/contract-addresses.js';
import type { FiscoClient } from '../ledger/fisco-client.js';
import type { Receipt } from '../ledger/receipt.js';
import { PeriodError } from './period.js';

/** Blocks (and receipts) read at once: a period's scan is many small calls, and the node serves others too. */
const SCAN_CONCURRENCY = 8;

/**
 * The most blocks one report reads. FISCO BCOS seals a block only when there are transactions,
 * but the dev chain seals an empty one every 2 s (43,200 a day), so a long period on it is refused
 * rather than read for minutes.
 */
export const MAX_SCAN_BLOCKS = 100_000;

/** One event of Yilian's contracts, with the transaction that emitted it and its sender. */
export type ChainEvent = { block: number; time: Date; transaction: string; sender: string } & (
  | { kind: 'recordCreated'; recordId: string }
  | { kind: 'stepAppended'; traceId: string; index: number }
  | { kind: 'identityRegistered'; account: string; role: number; name: string }
  | { kind: 'identityRevoked'; account: string }
);

export interface ChainScan {
  /** The period's first and last block, null when no block was sealed in it. */
  blocks: { first: number; last: number } | null;
  events: ChainEvent[];
}

/**
 * Every RecordCreated, StepAppended, IdentityRegistered and IdentityRevoked that Yilian's
 * contracts emitted in blocks sealed between `from` and `to` (inclusive), in chain order. FISCO
 * BCOS 3.x has no log filter over JSON-RPC, so the period's blocks are found by binary search on
 * their timestamps (milliseconds, and increasing) and each transaction's receipt is read.
 */
export async function scanChain(
  chain: FiscoClient,
  contracts: ContractAddresses,
  period: { from: Date; to: Date },
  limits: { maxBlocks: number } = { maxBlocks: MAX_SCAN_BLOCKS },
): Promise<ChainScan> {
  const head = await chain.getBlockNumber();
  const timeOf = async (number: number) => (await chain.getBlock(number, { headerOnly: true })).timestamp;
  const first = await firstBlockWhere(head, async (n) => (await timeOf(n)) >= period.from.getTime());
  const afterLast = await firstBlockWhere(head, async (n) => (await timeOf(n)) > period.to.getTime());
  const last = afterLast - 1;
  if (first > last) return { blocks: null, events: [] };
  if (last - first + 1 > limits.maxBlocks)
    throw new PeriodError(
      `the period spans ${last - first + 1} blocks (${first}–${last}); a report reads at most ${limits.maxBlocks}: split the period`,
    );

  const numbers = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  const perBlock = await mapLimited(numbers, SCAN_CONCURRENCY, async (number) => {
    const block = await chain.getBlock(number);
    const receipts = await mapLimited(block.transactions, SCAN_CONCURRENCY, (hash) =>
      chain.getTransactionReceipt(hash),
    );
    return receipts.flatMap((receipt) =>
      receipt ? eventsOf(receipt, contracts, { block: number, time: new Date(block.timestamp) }) : [],
    );
  });
  return { blocks: { first, last }, events: perBlock.flat() };
}

/** The lowest block number in 0..head for which `holds` is true (`holds` is monotone), head + 1 if none. */
async function firstBlockWhere(head: number, holds: (n: number) => Promise<boolean>): Promise<number> {
  let [low, high] = [0, head + 1];
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (await holds(middle)) high = middle;
    else low = middle + 1;
  }
  return low;
}

const sources = [
  { key: 'recordRegistry', abi: RecordRegistry.abi },
  { key: 'drugTrace', abi: DrugTrace.abi },
  { key: 'directory', abi: Directory.abi },
] as const;

function eventsOf(receipt: Receipt, contracts: ContractAddresses, at: { block: number; time: Date }): ChainEvent[] {
  const events: ChainEvent[] = [];
  const base = { ...at, transaction: receipt.transactionHash, sender: receipt.from.toLowerCase() };
  for (const log of receipt.logEntries) {
    const source = sources.find(({ key }) => contracts[key].toLowerCase() === log.address.toLowerCase());
    if (!source) continue;
    const decoded = decodeEventLog({
      abi: source.abi,
      topics: log.topics as [Hex, ...Hex[]],
      data: log.data as Hex,
      strict: false,
    });
    const args = decoded.args as Record<string, unknown>;
    switch (decoded.eventName) {
      case 'RecordCreated':
        events.push({ ...base, kind: 'recordCreated', recordId: String(args.id) });
        break;
      case 'StepAppended':
        events.push({ ...base, kind: 'stepAppended', traceId: String(args.id), index: Number(args.index) });
        break;
      case 'IdentityRegistered':
        events.push({
          ...base,
          kind: 'identityRegistered',
          account: String(args.account).toLowerCase(),
          role: Number(args.role),
          name: String(args.name),
        });
        break;
      case 'IdentityRevoked':
        events.push({ ...base, kind: 'identityRevoked', account: String(args.account).toLowerCase() });
        break;
    }
  }
  return events;
}

/** `work` over `items` with at most `limit` running at once; results in the items' order. */
export async function mapLimited<T, U>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<U>,
): Promise<U[]> {
  const results: U[] = new Array<U>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
