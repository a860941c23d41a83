import { recordCreatedTopics } from '../../core/audit/record-checks.js';
import type { ScratchEngine } from '../../ops/scratch/engine.js';

/**
 * Every RecordCreated log of the engine's registry from block `from` on: the record id and its
 * transaction. What "exactly once" is counted against: the chain, not the engine's own account.
 */
export async function recordsCreatedSince(
  stack: ScratchEngine,
  from: number,
): Promise<Array<{ recordId: string; transactionHash: string }>> {
  const [selector] = recordCreatedTopics('0x');
  const registry = stack.engine.contracts.recordRegistry.toLowerCase();
  const created = [];
  for (let n = from, top = await stack.chain.getBlockNumber(); n <= top; n++) {
    for (const hash of (await stack.chain.getBlock(n)).transactions) {
      const receipt = await stack.chain.getTransactionReceipt(hash);
      for (const log of receipt?.logEntries ?? [])
        if (log.address.toLowerCase() === registry && log.topics[0] === selector)
          created.push({ recordId: log.topics[1]?.toLowerCase() ?? '', transactionHash: hash });
    }
  }
  return created;
}
