import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { TraceActivities, TraceItems, TraceNativeActivities } from '../activities/trace/index.js';
import { chainIo, nativeActivities, quickIo } from './activity-options.js';
import type { MessageSource } from './ids.js';

export interface TraceStepInput {
  /** The ERP event this step records; its id names the workflow, so a re-sent event is one step. */
  source: Extract<MessageSource, { kind: 'erp' }>;
  /** Account of the manufacturer, carrier or pharmacy adding the step; this engine holds its key. */
  participant: `0x${string}`;
  /**
   * Every item of the batch with its trace code and this step's data, or, for a part of a larger
   * event (traceEvent), where those items are staged in the content store.
   */
  items: TraceItems;
}

export interface TraceStepResult {
  ids: string[];
  transactionHash: string | null;
  /** How many proofs it took: more than one when a nonce went stale before its push. */
  proofs: number;
}

const { recentBlockHash } = proxyActivities<TraceActivities>(quickIo);
const { pushTraceBatch } = proxyActivities<TraceActivities>(chainIo);
/** A fresh nonce per attempt; after this many stale nonces something is wrong with the chain. */
const MAX_PROOFS = 5;

/**
 * One supply-chain step for a batch of packages: sign and encrypt each item's step under its trace
 * code, prove knowledge of all codes in one STARK bound to a recent block, push the batch.
 */
export async function traceStep(input: TraceStepInput): Promise<TraceStepResult> {
  const native = nativeActivities<TraceNativeActivities>();
  const sealed = await native.sealTraceSteps(input.participant, input.items);
  // staged items stay out of the history: the prover reads the part again
  const codes = Array.isArray(input.items) ? input.items.map((item) => item.code) : input.items;
  for (let proofs = 1; proofs <= MAX_PROOFS; proofs++) {
    const nonce = await recentBlockHash();
    const proof = await native.proveTraceBatch(codes, sealed.ciphertextHashes, nonce);
    try {
      const { transactionHash } = await pushTraceBatch(input.participant, sealed, { nonce, proof });
      return { ids: sealed.ids, transactionHash, proofs };
    } catch (error) {
      if (!(
        error instanceof ActivityFailure &&
        error.cause instanceof ApplicationFailure &&
        error.cause.type === 'TraceNonceExpired'
      ))
        throw error;
    }
  }
  throw ApplicationFailure.nonRetryable(
    `${MAX_PROOFS} proofs in a row went stale before they reached the chain`,
    'TraceNonceExpired',
  );
}
