import { keccak256, toHex, type Hex } from 'viem';
import { DrugTrace } from '../../contracts/artifacts.js';
import { readContract, writeContract } from '../../core/ledger/contract-calls.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { badInput } from '../failures.js';
import { activityGroup } from '../activity-group.js';
import type { Engine } from '../engine.js';
import { traceId } from '../../native/index.js';
import { parseCid } from '../../core/storage/index.js';
import { decodeTraceBatch } from '../../core/trace/batch-format.js';
import { readTrace, type TraceHistory } from '../../core/trace/read-trace.js';
import type { SealedTraceSteps } from './native-activities.js';

export interface TraceBatchProof {
  nonce: Hex;
  proof: Hex;
}

/** Trace chain I/O for the `yilian` queue. */
export function createTraceActivities(engine: Engine) {
  const { chain, contracts } = engine;
  /** Ciphertexts carry a random nonce, so finding ours on chain means this very push committed. */
  const alreadyPushed = async (ids: Hex[], ciphertexts: Hex[]) => {
    const stored = await readContract(chain, {
      address: contracts.drugTrace,
      abi: DrugTrace.abi,
      functionName: 'read',
      args: [ids[0] as Hex],
    });
    return stored.some((step) => step.ciphertext.toLowerCase() === (ciphertexts[0] as Hex).toLowerCase());
  };
  const ciphertextsOf = async (sealed: SealedTraceSteps): Promise<Hex[]> => {
    const ciphertexts = decodeTraceBatch(await engine.store.get(parseCid(sealed.batch))).map((c) => toHex(c));
    if (
      ciphertexts.length !== sealed.ids.length ||
      ciphertexts.some((c, i) => keccak256(c) !== sealed.ciphertextHashes[i])
    ) {
      throw badInput(
        'TraceBatchMismatch',
        `trace batch ${sealed.batch} does not hold the ${sealed.ids.length} ciphertexts that were proven`,
      );
    }
    return ciphertexts;
  };
  return activityGroup({
    /** The newest block's hash: the proof's nonce, valid on chain for 256 blocks. */
    async recentBlockHash(): Promise<Hex> {
      return (await chain.getBlockHash(await chain.getBlockNumber())) as Hex;
    },

    /**
     * `DrugTrace.pushBatch`, idempotently. A nonce that went stale while the workflow waited fails
     * with `TraceNonceExpired` so the workflow proves again with a fresh one.
     */
    async pushTraceBatch(
      participant: string,
      sealed: SealedTraceSteps,
      batch: TraceBatchProof,
    ): Promise<{ transactionHash: Hex | null }> {
      const ciphertexts = await ciphertextsOf(sealed);
      if (await alreadyPushed(sealed.ids, ciphertexts)) return { transactionHash: null };
      const sender = await engine.keyring.identity(participant);
      try {
        const receipt = await writeContract(chain, sender.secretKey, {
          address: contracts.drugTrace,
          abi: DrugTrace.abi,
          functionName: 'pushBatch',
          args: [sealed.ids, ciphertexts, batch.nonce, batch.proof],
        });
        return { transactionHash: receipt.transactionHash as Hex };
      } catch (error) {
        if (!(error instanceof LedgerError && error.code === 'REVERTED')) throw error;
        if (await alreadyPushed(sealed.ids, ciphertexts)) return { transactionHash: null };
        if (error.message.includes('nonce is not a recent block hash'))
          throw badInput('TraceNonceExpired', `nonce ${batch.nonce} is no longer a recent block hash; prove again`);
        throw error;
      }
    },

    async queryTrace(code: string): Promise<TraceHistory> {
      return readTrace({ ...engine, traceId }, code);
    },
  });
}

export type TraceActivities = ReturnType<typeof createTraceActivities>;
