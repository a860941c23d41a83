import { hexToBytes, keccak256, toHex, type Hex } from 'viem';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { normalizeTraceCode, sealTraceStepAs } from '../../core/crypto/index.js';
import { DrugTrace } from '../../contracts/artifacts.js';
import { readContract, writeContract } from '../../core/ledger/contract-calls.js';
import { LedgerError } from '../../core/ledger/errors.js';
import { badInput } from '../failures.js';
import { activityGroup } from '../activity-group.js';
import type { Engine } from '../engine.js';
import type { EngineKeyring } from '../../core/keys/index.js';
import { proveBatch, signDigest, traceId } from '../../native/index.js';
import { parseCid, type ContentStore } from '../../core/storage/index.js';
import { decodeTraceBatch, encodeTraceBatch } from '../../core/trace/batch-format.js';

/** One proof covers the batch; 1,024 items prove in under a second and keep payloads well below Temporal's limits. */
export const MAX_BATCH_ITEMS = 1024;
import { readTrace, type VerifiedTraceStep } from '../../core/trace/read-trace.js';

export interface TraceItem {
  /** The trace code printed on the package: a secret, here only inside encrypted payloads. */
  code: string;
  /** Step data (JSON text) the participant signs. */
  data: string;
}

/** What the history carries of a sealed batch: ids, ciphertext hashes and the batch's CID, not the ciphertexts. */
export interface SealedTraceSteps {
  ids: Hex[];
  /** keccak256 of each ciphertext: the proof's public inputs. */
  ciphertextHashes: Hex[];
  /** The ciphertexts as one content-store object (./batch-format.ts). */
  batch: string;
}

export interface TraceBatchProof {
  nonce: Hex;
  proof: Hex;
}

/** Trace cryptography for the `yilian-native` queue: sealing many steps and one batch proof. */
export function createTraceNativeActivities(deps: { keyring: EngineKeyring; store: ContentStore }) {
  return activityGroup({
    async sealTraceSteps(participant: string, items: TraceItem[]): Promise<SealedTraceSteps> {
      if (items.length === 0) throw badInput('EmptyBatch', 'a trace step needs at least one item');
      if (items.length > MAX_BATCH_ITEMS) throw badInput('BatchTooLarge', `a trace step takes at most ${MAX_BATCH_ITEMS} items, got ${items.length}; split the batch`);
      const signer = await deps.keyring.identity(participant);
      const ids: Hex[] = [];
      const ciphertexts: Uint8Array[] = [];
      for (const item of items) {
        const code = normalizeTraceCode(item.code);
        const id = traceId(code);
        ids.push(toHex(id));
        ciphertexts.push(sealTraceStepAs(signer, code, id, utf8ToBytes(item.data), signDigest));
      }
      const batch = (await deps.store.put(encodeTraceBatch(ciphertexts))).toString();
      return { ids, ciphertextHashes: ciphertexts.map((c) => keccak256(c)), batch };
    },

    /** One STARK for the whole batch, bound to every (id, keccak256(c)) and the nonce. */
    async proveTraceBatch(codes: string[], ciphertextHashes: Hex[], nonce: Hex): Promise<Hex> {
      const proof = await proveBatch(codes.map(normalizeTraceCode), ciphertextHashes.map((h) => hexToBytes(h)), hexToBytes(nonce));
      return toHex(proof);
    },
  });
}

/** Trace chain I/O for the `yilian` queue. */
export function createTraceActivities(engine: Engine) {
  const { chain, contracts } = engine;
  /** Ciphertexts carry a random nonce, so finding ours on chain means this very push committed. */
  const alreadyPushed = async (ids: Hex[], ciphertexts: Hex[]) => {
    const stored = await readContract(chain, { address: contracts.drugTrace, abi: DrugTrace.abi, functionName: 'read', args: [ids[0] as Hex] });
    return stored.some((c) => c.toLowerCase() === (ciphertexts[0] as Hex).toLowerCase());
  };
  const ciphertextsOf = async (sealed: SealedTraceSteps): Promise<Hex[]> => {
    const ciphertexts = decodeTraceBatch(await engine.store.get(parseCid(sealed.batch))).map((c) => toHex(c));
    if (ciphertexts.length !== sealed.ids.length || ciphertexts.some((c, i) => keccak256(c) !== sealed.ciphertextHashes[i])) {
      throw badInput('TraceBatchMismatch', `trace batch ${sealed.batch} does not hold the ${sealed.ids.length} ciphertexts that were proven`);
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
    async pushTraceBatch(participant: string, sealed: SealedTraceSteps, batch: TraceBatchProof): Promise<{ transactionHash: Hex | null }> {
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
        if (error.message.includes('nonce is not a recent block hash')) throw badInput('TraceNonceExpired', `nonce ${batch.nonce} is no longer a recent block hash; prove again`);
        throw error;
      }
    },

    async queryTrace(code: string): Promise<VerifiedTraceStep[]> {
      return readTrace(engine, code);
    },
  });
}

export type TraceActivities = ReturnType<typeof createTraceActivities>;
export type TraceNativeActivities = ReturnType<typeof createTraceNativeActivities>;
