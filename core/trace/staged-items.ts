import { hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { AES_KEY_LENGTH, aesGcmOpen, aesGcmSeal, NONCE_LENGTH } from '../crypto/aead.js';
import { CryptoError } from '../crypto/errors.js';
import { parseCid, type ContentStore } from '../storage/index.js';

/** One package's part in a trace step: its code and the step data signed for it. */
export interface TraceItem {
  /** The trace code printed on the package: a secret, here only inside encrypted payloads. */
  code: string;
  /** Step data (JSON text) the participant signs. */
  data: string;
}

/**
 * An event's items kept out of Temporal: 100,000 items with their codes and step data are ~30 MB,
 * beyond Temporal's payload and history limits, so they wait in the content store, sealed, one
 * object per part of at most one proof's items, in order. The workflow input carries only this:
 * the key (sealed in the input by the payload codec) and each part's CID and size.
 */
export interface StagedTraceItems {
  /** AES-256-GCM key, hex; one per event and request body (docs/formats.md § Staged trace items). */
  key: string;
  parts: Array<{ cid: string; count: number }>;
}

/** One part of staged items, as one traceStep takes it. */
export interface StagedTracePart {
  key: string;
  /** Its position in the event, from 0: the nonce it was sealed under. */
  part: number;
  cid: string;
  count: number;
}

const LABEL = 'yilian/staged-trace-items/v1';

/** Each part is sealed once under its event's key, so its index is a nonce that never repeats. */
function nonceOf(part: number): Uint8Array {
  const nonce = new Uint8Array(NONCE_LENGTH);
  new DataView(nonce.buffer).setUint32(NONCE_LENGTH - 4, part);
  return nonce;
}

const associatedData = (part: number, count: number) => utf8ToBytes(`${LABEL}|${String(part)}|${String(count)}`);

function keyBytes(key: string): Uint8Array {
  const bytes = /^[0-9a-f]+$/.test(key) ? hexToBytes(key) : new Uint8Array();
  if (bytes.length !== AES_KEY_LENGTH)
    throw new CryptoError('BAD_LENGTH', `staged trace items: the key must be ${AES_KEY_LENGTH} bytes in hex`);
  return bytes;
}

export function sealStagedPart(key: string, part: number, items: readonly TraceItem[]): Uint8Array {
  const plain = utf8ToBytes(JSON.stringify(items.map(({ code, data }) => ({ code, data }))));
  return aesGcmSeal(keyBytes(key), nonceOf(part), plain, associatedData(part, items.length));
}

/** Opens a part; a part moved to another position or cut short does not open. */
export function openStagedPart(staged: Omit<StagedTracePart, 'cid'>, sealed: Uint8Array): TraceItem[] {
  const what = `staged trace items, part ${String(staged.part)}`;
  const plain = aesGcmOpen(
    keyBytes(staged.key),
    nonceOf(staged.part),
    sealed,
    associatedData(staged.part, staged.count),
    what,
  );
  const items: unknown = JSON.parse(new TextDecoder().decode(plain));
  if (
    !Array.isArray(items) ||
    items.length !== staged.count ||
    !items.every(
      (item: unknown) =>
        typeof item === 'object' &&
        item !== null &&
        typeof (item as TraceItem).code === 'string' &&
        typeof (item as TraceItem).data === 'string',
    )
  )
    throw new CryptoError('BAD_FORMAT', `${what}: not ${String(staged.count)} items of code and data`);
  return items as TraceItem[];
}

/**
 * Gas one `DrugTrace.pushBatch` may use: FISCO BCOS's default `tx_gas_limit` (300 M) less a tenth,
 * as the model below is fitted, not exact.
 */
export const PUSH_GAS_BUDGET = 270_000_000;

/**
 * Gas one item costs in a push: storing its ciphertext dominates. Fitted on the dev chain's EVM
 * (pushes of 128-512 items with 100-800 bytes of step data: 184,400 gas per item and 740.5 per
 * byte of data, within 3% of every measurement, and above it at 800 bytes). So 1,024 items fit one
 * push only with step data under ~100 bytes; an ERP's batch data (~230 bytes) fits ~760.
 */
export const pushGasOf = (dataBytes: number): number => 184_400 + 741 * dataBytes;

const utf8Length = (text: string) => utf8ToBytes(text).length;

/**
 * Splits `items` in order into parts of at most `maxItems` (one proof's cap) whose push stays
 * within PUSH_GAS_BUDGET, seals each under `key` and puts it in the store. The same items under
 * the same key give the same CIDs, so staging a retried request again stores nothing new.
 */
export async function stageTraceItems(
  store: ContentStore,
  key: string,
  items: readonly TraceItem[],
  maxItems: number,
): Promise<StagedTraceItems> {
  if (!Number.isSafeInteger(maxItems) || maxItems < 1) throw new RangeError('maxItems must be a positive integer');
  const parts: StagedTraceItems['parts'] = [];
  let start = 0;
  while (start < items.length) {
    let end = start;
    for (let gas = 0; end < items.length && end - start < maxItems; end++) {
      gas += pushGasOf(utf8Length((items[end] as TraceItem).data));
      // a part holds at least one item: a single step over the budget is the chain's to refuse
      if (gas > PUSH_GAS_BUDGET && end > start) break;
    }
    const slice = items.slice(start, end);
    const cid = await store.put(sealStagedPart(key, parts.length, slice));
    parts.push({ cid: cid.toString(), count: slice.length });
    start = end;
  }
  return { key, parts };
}

export async function readStagedPart(store: ContentStore, staged: StagedTracePart): Promise<TraceItem[]> {
  return openStagedPart(staged, await store.get(parseCid(staged.cid)));
}
