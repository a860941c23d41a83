import { hexToBytes, keccak256, toHex, type Hex } from 'viem';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { normalizeTraceCode, sealTraceStepAs } from '../../core/crypto/index.js';
import type { ContentStore } from '../../core/storage/index.js';
import { encodeTraceBatch } from '../../core/trace/batch-format.js';
import { readStagedPart, type StagedTracePart, type TraceItem } from '../../core/trace/staged-items.js';
import { MAX_BATCH_ITEMS, proveBatch, signDigest, traceId } from '../../native/index.js';
import type { EngineKeyring } from '../state/index.js';
import { badInput } from '../failures.js';
import { activityGroup } from '../activity-group.js';
import { untimed, type CryptoTimer } from '../crypto-timer.js';

export type { TraceItem, StagedTracePart };

/** A step's items: in the workflow input, or staged in the content store when there are too many for it. */
export type TraceItems = TraceItem[] | StagedTracePart;

/** What the history carries of a sealed batch: ids, ciphertext hashes and the batch's CID, not the ciphertexts. */
export interface SealedTraceSteps {
  ids: Hex[];
  /** keccak256 of each ciphertext: the proof's public inputs. */
  ciphertextHashes: Hex[];
  /** The ciphertexts as one content-store object (core/trace/batch-format.ts). */
  batch: string;
}

/** Trace cryptography for the `yilian-native` queue: sealing many steps and one batch proof. */
export function createTraceNativeActivities(deps: { keyring: EngineKeyring; store: ContentStore; time?: CryptoTimer }) {
  const time = deps.time ?? untimed;
  const itemsOf = async (items: TraceItems) => (Array.isArray(items) ? items : readStagedPart(deps.store, items));
  return activityGroup({
    async sealTraceSteps(participant: string, given: TraceItems): Promise<SealedTraceSteps> {
      const items = await itemsOf(given);
      if (items.length === 0) throw badInput('EmptyBatch', 'a trace step needs at least one item');
      if (items.length > MAX_BATCH_ITEMS) {
        throw badInput(
          'BatchTooLarge',
          `one proof takes at most ${MAX_BATCH_ITEMS} items, got ${items.length}; split the batch`,
        );
      }
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
    async proveTraceBatch(codes: string[] | StagedTracePart, ciphertextHashes: Hex[], nonce: Hex): Promise<Hex> {
      const given = Array.isArray(codes) ? codes : (await itemsOf(codes)).map((item) => item.code);
      const proof = await time('stark_prove', () =>
        proveBatch(
          given.map(normalizeTraceCode),
          ciphertextHashes.map((h) => hexToBytes(h)),
          hexToBytes(nonce),
        ),
      );
      return toHex(proof);
    },
  });
}

export type TraceNativeActivities = ReturnType<typeof createTraceNativeActivities>;
