import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gcm } from '@noble/ciphers/aes.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { EmbeddedContentStore } from '../storage/node/index.js';
import { tempDir } from '../../ops/scratch/services.js';
import {
  openStagedPart,
  PUSH_GAS_BUDGET,
  pushGasOf,
  readStagedPart,
  sealStagedPart,
  stageTraceItems,
  type TraceItem,
} from './staged-items.js';

const items = (n: number, dataBytes = 10): TraceItem[] =>
  Array.from({ length: n }, (_, i) => ({ code: `CODE${String(i)}`, data: 'd'.repeat(dataBytes) }));

test('staged items come back in order, part by part; the same items under the same key store the same parts', async () => {
  const dir = await tempDir('staged');
  const store = new EmbeddedContentStore(dir.path);
  try {
    const key = bytesToHex(randomBytes(32));
    const given = items(10);
    const staged = await stageTraceItems(store, key, given, 4);
    assert.deepEqual(
      staged.parts.map((p) => p.count),
      [4, 4, 2],
    );
    const back = [];
    for (const [part, { cid, count }] of staged.parts.entries())
      back.push(...(await readStagedPart(store, { key, part, cid, count })));
    assert.deepEqual(back, given);
    assert.deepEqual(await stageTraceItems(store, key, given, 4), staged);
    const other = await stageTraceItems(store, bytesToHex(randomBytes(32)), given, 4);
    assert.notDeepEqual(other.parts, staged.parts);
  } finally {
    await store.close();
    await dir.remove();
  }
});

test('a part opens only at its own position, with its own count, under its key', () => {
  const key = bytesToHex(randomBytes(32));
  const sealed = sealStagedPart(key, 1, items(3));
  assert.equal(openStagedPart({ key, part: 1, count: 3 }, sealed).length, 3);
  assert.throws(() => openStagedPart({ key, part: 0, count: 3 }, sealed), /part 0: authentication failed/);
  assert.throws(() => openStagedPart({ key, part: 1, count: 2 }, sealed), /authentication failed/);
  assert.throws(
    () => openStagedPart({ key: bytesToHex(randomBytes(32)), part: 1, count: 3 }, sealed),
    /authentication/,
  );
  assert.throws(() => openStagedPart({ key: 'zz', part: 1, count: 3 }, sealed), /32 bytes in hex/);
});

test('parts hold at most the proof cap and what one push can store within the gas budget', async () => {
  const dir = await tempDir('staged-gas');
  const store = new EmbeddedContentStore(dir.path);
  try {
    const key = bytesToHex(randomBytes(32));
    // short step data: the proof cap binds
    assert.deepEqual(
      (await stageTraceItems(store, key, items(2100, 50), 1024)).parts.map((p) => p.count),
      [1024, 1024, 52],
    );
    // an ERP batch's ~230 bytes: the gas budget binds
    const perPart = Math.floor(PUSH_GAS_BUDGET / pushGasOf(230));
    const parts = (await stageTraceItems(store, key, items(2000, 230), 1024)).parts.map((p) => p.count);
    assert.deepEqual(parts, [perPart, perPart, 2000 - 2 * perPart]);
    assert.ok(perPart > 700 && perPart < 800);
    // one step over the budget on its own is still staged, for the chain to refuse with its reason
    const huge = [{ code: 'C', data: 'x'.repeat(400_000) }];
    assert.deepEqual(
      (await stageTraceItems(store, key, huge, 1024)).parts.map((p) => p.count),
      [1],
    );
  } finally {
    await store.close();
    await dir.remove();
  }
});

test('docs/vectors/staged-trace-items.json: the pinned part seals and opens as specified', async () => {
  const vector = JSON.parse(
    await readFile(new URL('../../docs/vectors/staged-trace-items.json', import.meta.url), 'utf8'),
  ) as { key: string; part: number; items: TraceItem[]; plaintext: string; associatedData: string; sealed: string };
  assert.equal(bytesToHex(sealStagedPart(vector.key, vector.part, vector.items)), vector.sealed);
  assert.equal(JSON.stringify(vector.items), vector.plaintext);
  const nonce = new Uint8Array(12);
  nonce[11] = vector.part;
  const opened = gcm(hexToBytes(vector.key), nonce, utf8ToBytes(vector.associatedData)).decrypt(
    hexToBytes(vector.sealed),
  );
  assert.equal(new TextDecoder().decode(opened), vector.plaintext);
  assert.deepEqual(
    openStagedPart({ key: vector.key, part: vector.part, count: vector.items.length }, hexToBytes(vector.sealed)),
    vector.items,
  );
});
