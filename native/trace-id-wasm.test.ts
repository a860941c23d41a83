/**
 * The browser's trace id (native/wasm built for wasm32 by ops/bootstrap, run here by Node's
 * WebAssembly) against the addon's `traceId`: one Rust source, so the same bytes for every code.
 * `node --import tsx --test native/trace-id-wasm.test.ts`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as native from './index.js';
import { generateTraceCode, printedTraceCode } from '../core/crypto/index.js';
import { loadTraceId } from '../core/trace/trace-id-wasm.js';

/** Where ops/bootstrap puts the module for the web build (web/src/trace/trace-id.ts imports it). */
const WASM = new URL('../web/src/generated/trace-id.wasm', import.meta.url);

function wasmBytes(): Buffer {
  try {
    return readFileSync(WASM);
  } catch {
    throw new Error(`${WASM.pathname} is missing: ops/bootstrap builds it (the web phase)`);
  }
}
const wasmTraceId = () => loadTraceId(wasmBytes());

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

test('the wasm gives the pinned ids of docs/formats.md § Trace id in the browser', async () => {
  const traceId = await wasmTraceId();
  const pinned: Array<[string, string]> = [
    ['00000000-00000000-00000000-00000000', 'afdbbf1ba43c5f46b38d78c15a0ffd17fbdaeedcb5805cda042b67735fe1704e'],
    ['VR61XDQD-F1QB8EFV-38W94NC7-N4Y6A2B5', '0c0f55b0cf35099581521f4c286284ba10d39eb4cb172bb212589a6aae88eb2e'],
    ['ZZZZZZZZ-ZZZZZZZZ-ZZZZZZZZ-ZZZZZZZZ', 'ae24e17f743b83d20c89eff21c468613b89a416783e7d483f2f417faa8e6ad48'],
  ];
  for (const [code, id] of pinned) {
    assert.equal(hex(traceId(code)), id, code);
    assert.equal(hex(native.traceId(code)), id, code);
  }
});

test('the wasm and the addon agree on random codes, in every accepted spelling', async () => {
  const traceId = await wasmTraceId();
  for (let i = 0; i < 200; i++) {
    const code = generateTraceCode();
    const printed = printedTraceCode(code);
    const expected = hex(native.traceId(code));
    assert.equal(hex(traceId(code)), expected);
    assert.equal(hex(traceId(printed.toLowerCase())), expected);
    assert.equal(hex(native.traceId(printed)), expected);
  }
});

test('a code the page rejects never reaches the module, and the error names no symbol', async () => {
  const traceId = await wasmTraceId();
  const code = generateTraceCode();
  const mistyped = `${code.slice(0, 5)}U${code.slice(6)}`;
  assert.throws(
    () => traceId(mistyped),
    (error: Error) => {
      assert.match(error.message, /symbol 6 is not Crockford base32/);
      assert.ok(!error.message.includes(code.slice(0, 5)));
      return true;
    },
  );
  assert.throws(() => traceId(code.slice(1)), /must have 32 symbols, got 31/);
});

test('the module zeroes the code in its memory, and refuses text over its buffer', async () => {
  // the raw exports, as docs/formats.md lists them (core/trace/trace-id-wasm.ts wraps them)
  const api = (globalThis as unknown as { WebAssembly: { instantiate(bytes: Uint8Array): Promise<Instantiated> } })
    .WebAssembly;
  const { instance } = await api.instantiate(wasmBytes());
  const wasm = instance.exports;
  const memory = () => Buffer.from(wasm.memory.buffer);
  const code = Buffer.from(generateTraceCode());
  code.copy(memory(), wasm.code_buffer());
  assert.equal(wasm.trace_id(code.length), 0);
  assert.equal(memory().indexOf(code), -1);
  assert.equal(hex(memory().subarray(wasm.id_buffer(), wasm.id_buffer() + 32)), hex(native.traceId(code.toString())));
  assert.equal(wasm.trace_id(wasm.code_buffer_len() + 1), 1);
  Buffer.from(`${code.toString()}U`).copy(memory(), wasm.code_buffer());
  assert.equal(wasm.trace_id(code.length + 1), 2);
  assert.equal(memory().indexOf(code), -1);
});

interface Instantiated {
  instance: {
    exports: {
      memory: { buffer: ArrayBuffer };
      code_buffer(): number;
      code_buffer_len(): number;
      id_buffer(): number;
      trace_id(length: number): number;
    };
  };
}
